import { z } from 'zod';

/** Helpdesks Loopdesk has adapters for. */
export const Helpdesk = z.enum(['zendesk', 'freshdesk', 'helpscout']);
export type Helpdesk = z.infer<typeof Helpdesk>;

/** Roles nest: admin ⊃ lead ⊃ agent. */
export const Role = z.enum(['agent', 'lead', 'admin']);
export type Role = z.infer<typeof Role>;

export const ROLE_RANK: Record<Role, number> = { agent: 0, lead: 1, admin: 2 };

/** True when `have` carries at least the powers of `need`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLE_RANK[have] >= ROLE_RANK[need];
}

/** Short human-facing identifiers (tenant, team and agent names, experiment keys). */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

export const ExperimentRef = z.object({
  key: z.string().min(1).max(64),
  arm: z.string().min(1).max(64),
});
export type ExperimentRef = z.infer<typeof ExperimentRef>;

/** Formats zod issues as `path.to[0].field: message`, the form every 4xx answer uses. */
export function describeIssues(error: z.ZodError, prefix: (string | number)[] = []): string {
  return error.issues
    .map((issue) => {
      const path = formatPath([...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]);
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
