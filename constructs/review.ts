import { IConstruct } from 'constructs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { nameKey } from '../lib/names';
import { quote } from '../lib/values';
import { constructError } from './errors';
import { PostfixServer } from './postfix-server';

/** A rendered file for human review: its path relative to the server's review directory and its text. */
export interface ReviewFile {
  readonly path: string;
  readonly content: string;
}

/**
 * What a person needs to review one server: main.cf, master.cf, lookup tables and public certificates at
 * their container paths, plus a manifest. Private keys are listed by source path only, never copied.
 */
export function reviewFiles(server: PostfixServer): ReviewFile[] {
  const files = server.files();
  const manifest = files.map((f) =>
    f.sourcePath !== undefined
      ? `${f.containerPath}  <- copied at deploy time from ${f.secret ? 'the secret file' : 'the local file'} ${f.sourcePath}`
      : `${f.containerPath}  (${Buffer.byteLength(f.content ?? '')} bytes, included here)`,
  );
  return [
    ...files
      .filter((f) => f.sourcePath === undefined && !f.secret)
      .map((f) => ({ path: f.containerPath.replace(/^\/etc\/postfix\//, ''), content: f.content ?? '' })),
    { path: 'MANIFEST', content: `# Files of server ${server.node.path} inside the container\n${manifest.join('\n')}\n` },
  ];
}

/** Writes each server under `scope` to `directory/<server id>/`; returns the server ids written. */
export function writeReviewDirectory(scope: IConstruct, directory: string): string[] {
  const servers = scope.node.findAll().filter((c): c is PostfixServer => PostfixServer.isPostfixServer(c));
  const ids = servers.map((s) => s.node.id);
  // Case-insensitive file systems (macOS, Windows) would merge MX/ and mx/.
  const keys = ids.map(nameKey);
  const duplicate = ids.find((_id, i) => keys.indexOf(keys[i]) !== i);
  if (duplicate) throw new Error(`two servers share the id ${duplicate} (ignoring case): give each server a distinct id to review them`);
  const root = resolve(directory);
  for (const server of servers) {
    const serverDirectory = resolve(root, server.node.id);
    if (['.', '..'].includes(server.node.id) || /[/\\]/.test(server.node.id)) {
      throw constructError(server, `server id ${quote(server.node.id)} is not a plain directory name, so its review files would land outside ${root}: give the server an id without '.', '..' or path separators`);
    }
    for (const file of reviewFiles(server)) {
      const target = join(serverDirectory, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
  }
  return ids;
}
