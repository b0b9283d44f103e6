import { Image } from '@cdktf/provider-docker/lib/image';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The directory with the shipped Dockerfile (Debian bookworm-slim, postfix, postfix-lmdb, openssl). */
export const DOCKER_CONTEXT = resolve(__dirname, '..', '..', 'docker');

/** Default tag of the image built from the shipped Dockerfile. */
export const DEFAULT_IMAGE_NAME = 'postfix-tls-cdktf:latest';

/** Props of a `PostfixImage`. */
export interface PostfixImageProps {
  /**
   * Name of an existing image to use instead of building the shipped Dockerfile. It must provide the same
   * entrypoint contract (see docker/README.md).
   * @default - build the shipped Dockerfile as `postfix-tls-cdktf:latest`
   */
  readonly existingImageName?: string;
}

function contextDigest(directory: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(directory).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(directory, name))).update('\0');
  }
  return hash.digest('hex');
}

/** The Docker image Postfix containers run; rebuilt when the shipped docker/ directory changes. */
export class PostfixImage extends Construct {
  /** Image reference for containers (the image id once built). */
  public readonly imageRef: string;

  constructor(scope: Construct, id: string, props: PostfixImageProps = {}) {
    super(scope, id);
    const image = props.existingImageName
      ? new Image(this, 'Image', { name: props.existingImageName, keepLocally: true })
      : new Image(this, 'Image', {
          name: DEFAULT_IMAGE_NAME,
          keepLocally: true,
          buildAttribute: { context: DOCKER_CONTEXT, networkMode: 'host' },
          triggers: { docker_context_sha256: contextDigest(DOCKER_CONTEXT) },
        });
    this.imageRef = image.imageId;
  }
}
