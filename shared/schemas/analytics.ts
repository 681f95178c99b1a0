/** The analytics panel's answer, documented without zod (its function has no body to parse). */
export const contactBehaviorPanel = {
  jsonSchema: { type: 'object', description: 'The Contact Behavior panel for the period: see METRICS.md.' },
};
