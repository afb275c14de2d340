import { z } from 'zod';

/** `POST /v1/admin/flywheel/run`: an empty body runs the usual cycle. */
export const FlywheelRunRequest = z.strictObject({
  /**
   * Weigh each relevance label by its agent's estimated annotation quality (the default). `false`
   * counts every label as certain: for comparing the two, as the flywheel benchmark does.
   */
  annotationWeighting: z.boolean().optional(),
});
export type FlywheelRunRequest = z.infer<typeof FlywheelRunRequest>;

/** One agent's annotation quality as the last flywheel cycle estimated it (server/flywheel/annotators.ts). */
export interface AgentAnnotationQuality {
  agentId: string;
  /** The agent's display name (the helpdesk's, else the token's agent name); null if the agent is gone. */
  name: string | null;
  labels: number;
  /** Labels on (query, article) pairs other agents labelled too. */
  overlapping: number;
  /** Share of those where the other agents' majority agreed; null without any. */
  agreementWithOthers: number | null;
  /** Labels on articles cited by a reply the same agent adopted. */
  adoptionChecks: number;
  /** Share of those labelled relevant; null without any. */
  agreementWithAdoption: number | null;
  /** Estimated probability that one of the agent's labels is right. */
  accuracy: number;
  /** How much one label of the agent counts relative to the team's (log-odds ratio; 1 = as the team). */
  weight: number;
}

/** `GET /v1/admin/flywheel/annotators`: leads and admins; the tenant's latest estimate. */
export interface AnnotationQualityResponse {
  /** The retrieval model version whose cycle made the estimate; null before any cycle. */
  modelVersion: number | null;
  estimatedAt: string | null;
  teamAccuracy: number | null;
  agents: AgentAnnotationQuality[];
}
