import { join, resolve } from 'node:path';
import { ChannelSimulator } from './channel-simulator.js';
import { LocalStartError } from './dynamo-local.js';
import { PROJECT_ROOT, startLocalStack } from './stack.js';
import { seedDemoIfEmpty } from './seed.js';

/**
 * `npm start`: the whole product on this machine. PORT (3000), HOST
 * (127.0.0.1: only this machine; `0.0.0.0` opens it to the network), DATA_DIR
 * (.data), DEMO_DATA (on; `off` starts empty), TENANT_TIMEZONE
 * (America/Sao_Paulo), DEFAULT_PHONE_REGION (BR).
 */
async function main() {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalStartError(`PORT must be a port number, got ${process.env.PORT}`);
  const dataDir = resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
  const verbose = process.env.LOG_REQUESTS === 'on';
  console.log(`Starting the contact base (data in ${dataDir})...`);
  // The messaging platform's stand-in: answers sent messages with status events through /v1/events.
  const simulator = new ChannelSimulator({ keyFile: join(dataDir, 'channel-simulator.key'), log: (line) => console.log(line) });
  const stack = await startLocalStack({
    port,
    dataDir,
    outbound: simulator.sink,
    log: (line) => {
      if (verbose || !/^(GET|POST|PUT|PATCH|DELETE) /.test(line)) console.log(line);
    },
  });
  await simulator.connect(stack.baseUrl);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    simulator.stop();
    await stack.stop();
    console.log('Stopped cleanly.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (process.env.DEMO_DATA !== 'off') {
    try {
      const seeded = await seedDemoIfEmpty(stack, (line) => console.log(line));
      if (seeded) console.log('Demo tenant seeded.');
    } catch (error) {
      // The product works without (or with part of) the demo data; say so and keep serving.
      console.error(`Demo data could not be fully seeded: ${(error as Error).message}`);
    }
  }
  console.log(`\nReady: ${stack.baseUrl}  (API at ${stack.baseUrl}/v1, health at ${stack.baseUrl}/health)`);
  console.log('Sign in as a demo user of any role. Ctrl-C stops everything.');
}

main().catch((error) => {
  if (error instanceof LocalStartError) console.error(`\n${error.message}\n`);
  else console.error(error);
  process.exit(1);
});
