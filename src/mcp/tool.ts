/**
 * The shape of one MCP tool: name, description, zod input schema, whether it changes anything,
 * and what it does with the node's connection. Each tool is one `defineTool({...})` entry in
 * tools/*.ts; tools/index.ts lists them and server.ts registers them all the same way.
 */
import type { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Connection } from '../cli/client';
import type { NodePool } from '../cli/node-pool';

/** What a tool may use. */
export interface ToolContext {
  /** The node this server talks to (--node, else the config's default). */
  node: string;
  pool: NodePool;
  /** Run `fn` with the node's connection; gRPC failures become the one-line errors rnx prints. */
  call<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
  /** Aborted when the client cancels the call or the server stops. */
  signal: AbortSignal;
}

/** One tool, its input type erased for the registry. */
export interface ToolDef {
  name: string;
  title: string;
  description: string;
  input: z.ZodRawShape;
  /** Changes something on the node (the server refuses it for a viewer certificate). */
  write: boolean;
  /** Ends or deletes something for good. */
  destructive?: boolean;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult>;
}

/** Define a tool with its arguments typed from its zod shape. */
export function defineTool<S extends z.ZodRawShape>(def: Omit<ToolDef, 'input' | 'run'> & { input: S; run(args: z.objectOutputType<S, z.ZodTypeAny>, ctx: ToolContext): Promise<CallToolResult> }): ToolDef {
  return def as unknown as ToolDef;
}

/** A result holding a JSON value (the same objects `rnx --json` prints). */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

/** A result holding plain text. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

/** A tool error carrying the one-line message rnx prints for the same failure. */
export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}
