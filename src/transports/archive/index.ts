/** The archive transports: `oci-archive:` (a tar of an OCI layout) and `docker-archive:` (docker save). */
export { ociArchiveTransport, OciArchiveReference, parseOciArchiveReference } from './oci-reference.js';
export { dockerArchiveTransport, DockerArchiveReference, parseDockerArchiveReference } from './docker-reference.js';
