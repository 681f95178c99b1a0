// Placeholder entry: replaced by the real handler in this area.
export const handler = async (): Promise<never> => {
  throw new Error("not implemented yet");
};
