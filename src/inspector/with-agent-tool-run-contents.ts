/**
 * The request view's tool runs with their inputs and results: the metadata row keeps only names and timing
 * (so the metadata-only capture mode and body retention hold no tool contents), the contents come from the
 * stored events, masked and capped like every body.
 */
import type { InspectorRequestView } from "./inspector-record.ts";

export function withAgentToolRunContents(view: InspectorRequestView): InspectorRequestView {
  const runs = view.details.agentToolRuns;
  if (!runs?.length || !view.bodies) return view;
  const contents = new Map<string, { input: unknown; result: unknown }>();
  for (const item of view.bodies.events) {
    if (item.event.type === "backend-tool-run" && typeof item.event.id === "string") contents.set(item.event.id, { input: item.event.input, result: item.event.result });
  }
  const agentToolRuns = runs.map((run) => {
    const stored = contents.get(run.id);
    return stored ? { ...run, input: stored.input, result: stored.result } : run;
  });
  return { ...view, details: { ...view.details, agentToolRuns } };
}
