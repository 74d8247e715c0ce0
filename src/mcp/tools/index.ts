/**
 * Every tool of the MCP server, with the original server's names; each is one defineTool entry,
 * in the file of its area, added to this list.
 */
import type { ToolDef } from '../tool';
import { jobTools } from './jobs';
import { monitoringTools } from './monitoring';
import { listNodesTool } from './nodes';
import { resourceTools } from './resources';
import { runJobTool } from './run-job';
import { runtimeTools } from './runtimes';
import { workflowTools } from './workflows';

/** All tools, in the order clients list them. */
export const TOOLS: ToolDef[] = [runJobTool, ...jobTools, ...workflowTools, ...monitoringTools, ...resourceTools, ...runtimeTools, listNodesTool];
