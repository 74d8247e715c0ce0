/**
 * Every tool of the MCP server, with the original server's names. Runtime tools
 * (joblet_list_runtimes and friends) join here with the runtimes feature — one defineTool entry
 * each, in their own file, added to this list.
 */
import type { ToolDef } from '../tool';
import { jobTools } from './jobs';
import { monitoringTools } from './monitoring';
import { listNodesTool } from './nodes';
import { resourceTools } from './resources';
import { runJobTool } from './run-job';
import { workflowTools } from './workflows';

/** All tools, in the order clients list them. */
export const TOOLS: ToolDef[] = [runJobTool, ...jobTools, ...workflowTools, ...monitoringTools, ...resourceTools, listNodesTool];
