/** The dataset filters `loopdesk export` and `loopdesk finetune` take, as commander hands them over (strings). */
export interface ExportFilterOptions {
  from?: string;
  to?: string;
  time?: string;
  team?: string;
  experiment?: string;
  arm?: string;
  minOutcome?: string;
  minStrength?: string;
  source?: string;
  promptVersion?: string;
}
