/**
 * The inspector's writer thread: stores batches of finished requests on its own connection to the relay's
 * database, so the SQLite inserts, index updates and body compaction (about two thirds of what capture costs
 * per request) leave the thread that serves requests. The main thread posts each batch as JSON text and
 * waits for the reply before posting the next one, so a slow writer backs the recorder's queue up and bodies
 * are dropped there (counted in /metrics), never here.
 *
 * The compiled binary embeds this file as a second entrypoint (build.ts); it is started by inspector-writer.ts.
 */
import { InspectorStore } from "../store/inspector-store.ts";
import { openRelayDatabase } from "../store/open-relay-database.ts";
import type { WriterReply, WriterRequest } from "./inspector-writer.ts";

declare const self: Worker;

let store: InspectorStore | undefined;

const reply = (message: WriterReply) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<WriterRequest>) => {
  const message = event.data;
  try {
    switch (message.type) {
      case "open":
        // The main thread opened (and migrated) the database first; this opens a second connection to it.
        store = new InspectorStore(await openRelayDatabase(message.target));
        break;
      case "write":
        if (!store) throw new Error("the inspector writer thread has no database");
        await store.write(JSON.parse(message.entries));
        break;
      case "close":
        // What waits for the text indexes goes in now (it would also be found without them, by a scan).
        await store?.indexText();
        await store?.database.close();
        store = undefined;
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown writer request ${JSON.stringify(unreachable)}`);
      }
    }
    reply({ id: message.id });
  } catch (error) {
    reply({ id: message.id, error: String(error) });
  }
};
