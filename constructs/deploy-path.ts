import { App, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

/** Where cdktf writes a stack's cdk.tf.json, relative to the app's outdir; Terraform runs there. */
const STACKS_FOLDER = 'stacks';
const DEFAULT_OUTDIR = 'cdktf.out';

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const toPosix = (path: string): string => path.split(sep).join(posix.sep);

/**
 * How a local file is named in cdk.tf.json so that synth gives the same bytes in every checkout: a file
 * inside the project (the working directory synth runs in) is written relative to the stack directory
 * where Terraform runs; a file outside it (e.g. /etc/letsencrypt/...) keeps its absolute path, which names
 * the same file on every machine. When the app's outdir is outside the project (cdktf `Testing` uses a
 * temporary directory), paths are written as they would be for the default outdir, so snapshots do not
 * depend on the temporary directory's name.
 */
export function deployPath(scope: IConstruct, file: string): string {
  const project = process.cwd();
  const absolute = resolve(project, file);
  if (!inside(project, absolute)) return toPosix(absolute);
  const stack = TerraformStack.of(scope);
  const outdir = resolve(project, App.of(scope).outdir);
  const stackDirectory = resolve(inside(project, outdir) ? outdir : resolve(project, DEFAULT_OUTDIR), STACKS_FOLDER, stack.node.id);
  return toPosix(relative(stackDirectory, absolute));
}
