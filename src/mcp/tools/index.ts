/**
 * Every tool of the MCP server. Tools of features still to come keep the original server's names
 * and join here with their features: joblet_cancel_job (schedules), joblet_run_workflow and
 * joblet_get_workflow_status (workflows), joblet_get_system_status (monitoring),
 * joblet_get_job_metrics (per-job metrics), joblet_list_runtimes and friends (runtimes) — each is
 * one defineTool entry in its own file, added to this list.
 */
import type { ToolDef } from '../tool';
import { jobTools } from './jobs';
import { listNodesTool } from './nodes';
import { resourceTools } from './resources';
import { runJobTool } from './run-job';

/** All tools, in the order clients list them. */
export const TOOLS: ToolDef[] = [runJobTool, ...jobTools, ...resourceTools, listNodesTool];
