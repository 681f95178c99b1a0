// Placeholder entry: replaced by the real handler in this area.
export const handler = async (): Promise<unknown> => ({ statusCode: 501, body: JSON.stringify({ error: { code: "not_implemented", message: "Not implemented yet." } }) });
