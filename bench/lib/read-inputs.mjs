// The reading end of the remote-input serving figure: a separate process that calls Inputs.ReadFiles
// on ADDRESS for the files listed in LIST_FILE, `rounds` times, discarding the bytes (a node's disk
// is not what is measured), and prints {bytes, ms} as JSON. Channel options as a node's Inputs channel.
// Usage: node read-inputs.mjs ADDRESS LIST_FILE ROUNDS
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';

const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
const { InputsClient } = await import(dist('gen/parajob/v1/parajob.js'));
const { CHANNEL_OPTIONS } = await import(dist('rpc/options.js'));

const [address, listFile, rounds] = process.argv.slice(2);
const paths = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const client = new InputsClient(address, credentials.createInsecure(), {
  ...CHANNEL_OPTIONS,
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
});
const files = paths.map((path) => ({ path, cachedSize: 0, cachedMtimeMs: 0 }));
let bytes = 0;
const started = performance.now();
for (let round = 0; round < Number(rounds); round++) {
  const call = client.readFiles({ nodeId: 'bench', jobId: 'bench', files });
  for await (const message of call) for (const part of message.parts) bytes += part.data.length;
}
console.log(JSON.stringify({ bytes, ms: performance.now() - started }));
client.close();
