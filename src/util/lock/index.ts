/** Locks and owner-named temporary files for everything imgseal writes on disk. */
export { withFileLock, lockTempPrefixes, DEFAULT_LOCK_TIMEOUT_MS, type FileLockOptions } from './file-lock.js';
export { ownedName, isStaleName, removeStaleLeftovers } from './leftovers.js';
export { currentOwner, ownerTag, ownerIsGone, parseOwnerTag, type Owner } from './owner.js';
