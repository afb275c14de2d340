import { createHash } from 'node:crypto';
import type { AgentAssignment, Experiment, ExperimentArm } from '../../lib/contract';

/**
 * Deterministic, sticky assignment. Everything is a pure function of ids, so every replica, and
 * every request of the same agent, gets the same answer without storing anything:
 *
 * - an agent is in a running experiment when the experiment reaches its team (or all teams) and
 *   `bucket(agentId:key) < trafficShare`; raising the share only adds agents, never moves one out;
 * - in single mode its arm is `arms[hash(agentId:key:arm) mod n]`;
 * - in pairwise mode a suggestion shows two arms: both when there are two, otherwise a pair drawn
 *   from the suggestion id, so that every pair is compared about equally often;
 * - a suggestion asks for labels when `bucket(suggestionId:annotate) < annotationSampling`.
 */

/** The first 32 bits of SHA-256: well spread even for ids that differ in one character. */
export function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** A point in [0, 1) drawn from `text`. */
export function bucketOf(text: string): number {
  return hash32(text) / 2 ** 32;
}

/** Who is asking, as far as assignment is concerned. */
export interface AssignmentSubject {
  agentId: string;
  teamSlug: string;
}

/** An experiment as assignment needs it (the stored one has more). */
export type AssignableExperiment = Pick<Experiment, 'key' | 'mode' | 'status' | 'trafficShare' | 'annotationSampling' | 'teams' | 'arms' | 'revision'>;

export function reachesTeam(experiment: Pick<Experiment, 'teams'>, teamSlug: string): boolean {
  return experiment.teams.length === 0 || experiment.teams.includes(teamSlug);
}

/** Whether the agent takes part in this experiment (running, its team, inside the traffic share). */
export function isInExperiment(experiment: AssignableExperiment, subject: AssignmentSubject): boolean {
  return (
    experiment.status === 'running' &&
    reachesTeam(experiment, subject.teamSlug) &&
    bucketOf(`${subject.agentId}:${experiment.key}`) < experiment.trafficShare
  );
}

/** Single mode: the agent's one arm, the same on every request for as long as the arms stay. */
export function singleArmFor(experiment: Pick<Experiment, 'key' | 'arms'>, agentId: string): ExperimentArm {
  return experiment.arms[hash32(`${agentId}:${experiment.key}:arm`) % experiment.arms.length]!;
}

/**
 * Pairwise mode: the two arms of one suggestion, left first. With exactly two arms both are shown
 * in their declared order; with more, a pair is drawn from the suggestion id (uniform over ordered
 * pairs, so each arm is on each side equally often).
 */
export function pairwiseArmsFor(experiment: Pick<Experiment, 'arms'>, suggestionId: string): [ExperimentArm, ExperimentArm] {
  const arms = experiment.arms;
  if (arms.length < 2) throw new Error('a pairwise experiment needs at least two arms');
  if (arms.length === 2) return [arms[0]!, arms[1]!];
  const first = hash32(`${suggestionId}:pair:0`) % arms.length;
  const offset = 1 + (hash32(`${suggestionId}:pair:1`) % (arms.length - 1));
  return [arms[first]!, arms[(first + offset) % arms.length]!];
}

/** Whether the overlay should ask for preference and relevance labels on this suggestion. */
export function shouldAnnotate(suggestionId: string, annotationSampling: number): boolean {
  return bucketOf(`${suggestionId}:annotate`) < annotationSampling;
}

/**
 * The experiment that reaches an agent. Stores keep at most one running experiment per team, so
 * the first match is the only one; null means the baseline.
 */
export function experimentFor<E extends AssignableExperiment>(running: readonly E[], subject: AssignmentSubject): E | null {
  const reaching = running.find((e) => e.status === 'running' && reachesTeam(e, subject.teamSlug));
  return reaching && isInExperiment(reaching, subject) ? reaching : null;
}

/** What `GET /v1/experiments/assignment` answers. */
export function agentAssignment(running: readonly AssignableExperiment[], subject: AssignmentSubject, pollSeconds: number): AgentAssignment {
  const experiment = experimentFor(running, subject);
  if (!experiment) return { experiment: null, annotationSampling: 1, pollSeconds };
  const arms = experiment.mode === 'single' ? [singleArmFor(experiment, subject.agentId).name] : experiment.arms.map((a) => a.name);
  return {
    experiment: { key: experiment.key, mode: experiment.mode, arms, revision: experiment.revision },
    annotationSampling: experiment.annotationSampling,
    pollSeconds,
  };
}

