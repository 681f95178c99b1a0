import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * DynamoDB Local has no option for the address it listens on: its Jetty
 * server is built with `new Server(port)`, which binds every interface, so
 * anyone on the network could read and write the local base. This writes a
 * tiny Java class that starts DynamoDB Local as its own `main` does (from
 * the same command-line arguments) but sets the connector's host to
 * 127.0.0.1 before starting it:
 *
 *   DynamoDBProxyServer s = ServerRunner.createServerFromCommandLineArgs(args);
 *   Field f = DynamoDBProxyServer.class.getDeclaredField("server");
 *   f.setAccessible(true);
 *   ((ServerConnector) ((Server) f.get(s)).getConnectors()[0]).setHost("127.0.0.1");
 *   s.start();
 *
 * The class is assembled here rather than compiled, because a Java runtime
 * without the JDK's compiler is all the project asks for. Class file
 * version 49 (Java 5) needs no stack map frames, and the code has no
 * branches anyway. Telemetry stays unconfigured, so it never sends any.
 */
export const LOOPBACK_LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';

const PROXY_SERVER = 'software/amazon/dynamodb/services/local/server/DynamoDBProxyServer';
const SERVER_RUNNER = 'software/amazon/dynamodb/services/local/main/ServerRunner';
const JETTY_SERVER = 'org/eclipse/jetty/server/Server';
const JETTY_CONNECTOR = 'org/eclipse/jetty/server/ServerConnector';

class ConstantPool {
  private readonly entries: Buffer[] = [];
  private readonly index = new Map<string, number>();

  private add(key: string, bytes: Buffer): number {
    const known = this.index.get(key);
    if (known) return known;
    this.entries.push(bytes);
    this.index.set(key, this.entries.length);
    return this.entries.length;
  }

  utf8(text: string): number {
    const body = Buffer.from(text, 'utf8');
    return this.add(`u:${text}`, Buffer.concat([Buffer.from([1]), u2(body.length), body]));
  }

  classRef(name: string): number {
    return this.add(`c:${name}`, Buffer.concat([Buffer.from([7]), u2(this.utf8(name))]));
  }

  string(text: string): number {
    return this.add(`s:${text}`, Buffer.concat([Buffer.from([8]), u2(this.utf8(text))]));
  }

  method(owner: string, name: string, descriptor: string): number {
    const nameAndType = this.add(`n:${name}${descriptor}`, Buffer.concat([Buffer.from([12]), u2(this.utf8(name)), u2(this.utf8(descriptor))]));
    return this.add(`m:${owner}.${name}${descriptor}`, Buffer.concat([Buffer.from([10]), u2(this.classRef(owner)), u2(nameAndType)]));
  }

  bytes(): Buffer {
    return Buffer.concat([u2(this.entries.length + 1), ...this.entries]);
  }
}

function u2(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u4(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const op = { aload0: 0x2a, aload1: 0x2b, aload2: 0x2c, astore1: 0x4c, astore2: 0x4d, iconst0: 0x03, iconst1: 0x04, aaload: 0x32, ldcW: 0x13, checkcast: 0xc0, invokevirtual: 0xb6, invokestatic: 0xb8, return: 0xb1 };

/** The class file bytes of the launcher. */
export function loopbackLauncherClass(): Buffer {
  const pool = new ConstantPool();
  const thisClass = pool.classRef(LOOPBACK_LAUNCHER_CLASS);
  const superClass = pool.classRef('java/lang/Object');
  const code = Buffer.concat([
    Buffer.from([op.aload0, op.invokestatic]),
    u2(pool.method(SERVER_RUNNER, 'createServerFromCommandLineArgs', `([Ljava/lang/String;)L${PROXY_SERVER};`)),
    Buffer.from([op.astore1, op.ldcW]),
    u2(pool.classRef(PROXY_SERVER)),
    Buffer.from([op.ldcW]),
    u2(pool.string('server')),
    Buffer.from([op.invokevirtual]),
    u2(pool.method('java/lang/Class', 'getDeclaredField', '(Ljava/lang/String;)Ljava/lang/reflect/Field;')),
    Buffer.from([op.astore2, op.aload2, op.iconst1, op.invokevirtual]),
    u2(pool.method('java/lang/reflect/Field', 'setAccessible', '(Z)V')),
    Buffer.from([op.aload2, op.aload1, op.invokevirtual]),
    u2(pool.method('java/lang/reflect/Field', 'get', '(Ljava/lang/Object;)Ljava/lang/Object;')),
    Buffer.from([op.checkcast]),
    u2(pool.classRef(JETTY_SERVER)),
    Buffer.from([op.invokevirtual]),
    u2(pool.method(JETTY_SERVER, 'getConnectors', '()[Lorg/eclipse/jetty/server/Connector;')),
    Buffer.from([op.iconst0, op.aaload, op.checkcast]),
    u2(pool.classRef(JETTY_CONNECTOR)),
    Buffer.from([op.ldcW]),
    u2(pool.string('127.0.0.1')),
    Buffer.from([op.invokevirtual]),
    u2(pool.method(JETTY_CONNECTOR, 'setHost', '(Ljava/lang/String;)V')),
    Buffer.from([op.aload1, op.invokevirtual]),
    u2(pool.method(PROXY_SERVER, 'start', '()V')),
    Buffer.from([op.return]),
  ]);
  const codeAttribute = Buffer.concat([u2(4), u2(3), u4(code.length), code, u2(0), u2(0)]);
  const main = Buffer.concat([
    u2(0x0009), // public static
    u2(pool.utf8('main')),
    u2(pool.utf8('([Ljava/lang/String;)V')),
    u2(1),
    u2(pool.utf8('Code')),
    u4(codeAttribute.length),
    codeAttribute,
  ]);
  return Buffer.concat([
    u4(0xcafebabe),
    u2(0),
    u2(49),
    pool.bytes(),
    u2(0x0021), // public, super
    u2(thisClass),
    u2(superClass),
    u2(0), // interfaces
    u2(0), // fields
    u2(1), // methods
    main,
    u2(0), // attributes
  ]);
}

/**
 * Writes the launcher class where `java -cp` can find it and returns that
 * directory. Written beside a temporary name and renamed, so concurrent
 * starts (test workers) never read a half-written class.
 */
export function writeLoopbackLauncher(): string {
  const bytes = loopbackLauncherClass();
  const dir = join(tmpdir(), 'contacts-dynamodb-loopback-launcher');
  const file = join(dir, `${LOOPBACK_LAUNCHER_CLASS}.class`);
  if (existsSync(file) && readFileSync(file).equals(bytes)) return dir;
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(partial, bytes);
  renameSync(partial, file);
  return dir;
}
