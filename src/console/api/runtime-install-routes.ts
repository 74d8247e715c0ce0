/**
 * Routes of runtime installs (runtime-installs.ts keeps them): start one, list them, cancel one,
 * and follow one live. The live stream sends the install's view whenever it changes and its new
 * events in batches, each batch's id being the number of its last event, so that a browser that
 * reconnects (Last-Event-ID) gets only what it missed.
 */
import { InvalidArgumentError } from '../../shared/errors';
import { readJson } from '../http';
import type { InstallView } from '../shared/types';
import { EventStream } from '../sse';
import { HANDLED, type Route } from './route';

/** Batches go out at most this often: a build reports every package it handles. */
const BATCH_MS = 100;

/** POST runtimes/:name/install {force} → the install, once the server has accepted it. */
const startRoute: Route = {
  method: 'POST',
  path: 'runtimes/:name/install',
  write: true,
  async handle({ req, node, params, installs }): Promise<InstallView> {
    const body = (await readJson(req)) as { force?: unknown } | null;
    const force = body?.force ?? false;
    if (typeof force !== 'boolean') throw new InvalidArgumentError("'force' must be true or false");
    return installs.start(node, params.name!, force);
  },
};

/** GET runtime-installs → the node's installs, newest first. */
const listRoute: Route = {
  method: 'GET',
  path: 'runtime-installs',
  async handle({ node, installs }): Promise<InstallView[]> {
    return installs.list(node);
  },
};

/** POST runtime-installs/:id/cancel → the install (it ends as cancelled once the server has stopped it). */
const cancelRoute: Route = {
  method: 'POST',
  path: 'runtime-installs/:id/cancel',
  write: true,
  async handle({ node, params, installs }): Promise<InstallView> {
    return installs.cancel(node, params.id!);
  },
};

/** GET live/runtime-installs/:id: events `install` (InstallView), `events` (InstallEventView[]), then `end`. */
const liveRoute: Route = {
  method: 'GET',
  path: 'live/runtime-installs/:id',
  async handle({ req, res, node, params, installs, shutdown }) {
    const id = params.id!;
    // Asked before the stream opens, so that an unknown install is a plain 404 the page can show.
    installs.get(node, id);
    const stream = new EventStream(req, res, shutdown);
    const from = Number(req.headers['last-event-id'] ?? 0);
    let sent = Number.isSafeInteger(from) && from > 0 ? from : 0;
    let lastView = '';
    for (;;) {
      const { view, events } = installs.get(node, id);
      const text = JSON.stringify(view);
      if (text !== lastView) {
        lastView = text;
        await stream.send('install', view);
      }
      const fresh = events.filter((e) => e.n > sent);
      if (fresh.length) {
        sent = fresh[fresh.length - 1]!.n;
        await stream.send('events', fresh, String(sent));
      }
      if (view.state !== 'running' || stream.signal.aborted) break;
      await installs.changed(node, id, stream.signal);
      await new Promise((r) => setTimeout(r, BATCH_MS).unref());
    }
    if (!stream.signal.aborted) await stream.end();
    return HANDLED;
  },
};

/** Every route of runtime installs. */
export const runtimeInstallRoutes: Route[] = [startRoute, listRoute, cancelRoute, liveRoute];
