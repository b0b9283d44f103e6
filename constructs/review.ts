import { IConstruct } from 'constructs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`two servers share the id ${duplicate}: give each server a distinct id to review them`);
  for (const server of servers) {
    for (const file of reviewFiles(server)) {
      const target = join(directory, server.node.id, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
  }
  return ids;
}
