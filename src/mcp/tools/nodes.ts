/** joblet_list_nodes: the nodes of the client config, which one this server uses, and each one's role. */
import { defineTool, jsonResult } from '../tool';

/** The tool. */
export const listNodesTool = defineTool({
  name: 'joblet_list_nodes',
  title: 'List nodes',
  description: "The joblet nodes of the client config: name, address, role of the certificate (admin, or viewer = read-only) and which one this MCP server talks to (rnx mcp --node).",
  input: {},
  write: false,
  async run(_a, ctx) {
    return jsonResult(ctx.pool.list().map((n) => ({ name: n.name, address: n.address, default: n.isDefault, role: n.role, current: n.name === ctx.node, problem: n.problem })));
  },
});
