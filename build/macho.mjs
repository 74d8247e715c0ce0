/**
 * Mach-O (64-bit, little-endian, one architecture) as far as a Node single executable for macOS
 * needs: read the header, the segments and the code signature; sign the file ad hoc, which Apple
 * Silicon requires of every executable it runs (postject drops the signature Node's release was
 * made with, since injecting the SEA blob invalidates it); and check such a signature.
 *
 * An ad-hoc signature is what `codesign --sign - FILE` writes: a SuperBlob at the end of
 * __LINKEDIT, pointed to by an LC_CODE_SIGNATURE load command, holding a CodeDirectory (the SHA-256
 * of every 4 KiB page of the file up to the signature, and of the requirements blob), an empty
 * requirements blob and an empty CMS wrapper (no certificate: "ad hoc"). Code-signing structures
 * are big-endian; the Mach-O headers around them are little-endian (xnu's cs_blobs.h, loader.h).
 */
import { createHash } from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const MACH_HEADER_SIZE = 32;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const LINKEDIT_DATA_COMMAND_SIZE = 16;
/** Mach-O CPU types. */
export const CPU_TYPE = { x64: 0x01000007, arm64: 0x0100000c };
/** Mach-O file type of an executable. */
export const MH_EXECUTE = 0x2;
/** Code-signing magic numbers. */
export const CSMAGIC = { embeddedSignature: 0xfade0cc0, codeDirectory: 0xfade0c02, requirements: 0xfade0c01, blobWrapper: 0xfade0b01 };
/** SuperBlob slot types. */
export const CSSLOT = { codeDirectory: 0, requirements: 2, alternateCodeDirectory: 0x1000, signature: 0x10000 };
/** CodeDirectory flag: signed without a certificate. */
export const CS_ADHOC = 0x2;
/** CodeDirectory exec-segment flag: the main executable. */
export const CS_EXECSEG_MAIN_BINARY = 0x1;
const CS_HASHTYPE_SHA256 = 2;
const CD_VERSION = 0x20400;
/** Size of a version 0x20400 CodeDirectory header (up to and including execSegFlags). */
const CD_HEADER_SIZE = 88;
/** Pages are hashed 4 KiB at a time on every architecture, as codesign does. */
const PAGE_SIZE = 4096;
const HASH_SIZE = 32;
/** Segment sizes in memory are multiples of the largest page size (16 KiB on Apple Silicon). */
const VM_PAGE = 0x4000;

/**
 * The parts of a Mach-O file a signer needs. `segments`: name, offset of the command, file and
 * memory placement and sections; `codeSignature`: the LC_CODE_SIGNATURE command, if any.
 */
export function parseMachO(buf) {
  if (buf.length < MACH_HEADER_SIZE || buf.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file (a universal binary must be split first)');
  const header = { cputype: buf.readUInt32LE(4), cpusubtype: buf.readUInt32LE(8), filetype: buf.readUInt32LE(12), ncmds: buf.readUInt32LE(16), sizeofcmds: buf.readUInt32LE(20), flags: buf.readUInt32LE(24) };
  const segments = [];
  let codeSignature;
  let off = MACH_HEADER_SIZE;
  for (let i = 0; i < header.ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    const cmdsize = buf.readUInt32LE(off + 4);
    if (cmdsize < 8 || off + cmdsize > MACH_HEADER_SIZE + header.sizeofcmds) throw new Error(`load command ${i} at ${off} has a bad size ${cmdsize}`);
    if (cmd === LC_SEGMENT_64) {
      const nsects = buf.readUInt32LE(off + 64);
      const sections = [];
      for (let s = 0; s < nsects; s++) {
        const so = off + 72 + s * 80;
        sections.push({ name: cstr(buf, so, 16), segname: cstr(buf, so + 16, 16), addr: buf.readBigUInt64LE(so + 32), size: Number(buf.readBigUInt64LE(so + 40)), offset: buf.readUInt32LE(so + 48) });
      }
      segments.push({ name: cstr(buf, off + 8, 16), cmdOffset: off, vmaddr: buf.readBigUInt64LE(off + 24), vmsize: Number(buf.readBigUInt64LE(off + 32)), fileoff: Number(buf.readBigUInt64LE(off + 40)), filesize: Number(buf.readBigUInt64LE(off + 48)), sections });
    } else if (cmd === LC_CODE_SIGNATURE) {
      codeSignature = { cmdOffset: off, dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
    }
    off += cmdsize;
  }
  return { header, segments, codeSignature, loadCommandsEnd: off };
}

function cstr(buf, off, len) {
  const s = buf.toString('latin1', off, off + len);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** File offset of the first section's contents: load commands may grow up to there. */
function firstSectionOffset(m) {
  const offsets = m.segments.flatMap((s) => s.sections.map((x) => x.offset)).filter((o) => o > 0);
  return Math.min(...offsets);
}

/** The requirements blob of an ad-hoc signature: an empty set. */
function emptyRequirements() {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(CSMAGIC.requirements, 0);
  b.writeUInt32BE(12, 4);
  b.writeUInt32BE(0, 8);
  return b;
}

/** An empty CMS wrapper: there is no certificate in an ad-hoc signature. */
function emptySignatureWrapper() {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(CSMAGIC.blobWrapper, 0);
  b.writeUInt32BE(8, 4);
  return b;
}

function sha256(data) {
  return createHash('sha256').update(data).digest();
}

/**
 * Sign a Mach-O executable ad hoc with `identifier` and return the signed bytes. Any signature it
 * has is replaced. The signature goes at the end of the file (16-byte aligned), inside __LINKEDIT,
 * which must be the last segment in the file.
 */
export function adhocSign(input, identifier) {
  let buf = input;
  let m = parseMachO(buf);
  if (m.header.filetype !== MH_EXECUTE) throw new Error(`not an executable (Mach-O file type ${m.header.filetype})`);
  if (m.codeSignature) {
    buf = stripSignature(buf);
    m = parseMachO(buf);
  }
  const linkedit = m.segments.find((s) => s.name === '__LINKEDIT');
  const text = m.segments.find((s) => s.name === '__TEXT');
  if (!linkedit || !text) throw new Error('no __LINKEDIT or __TEXT segment');
  if (linkedit.fileoff + linkedit.filesize !== buf.length) throw new Error('__LINKEDIT does not end the file: something follows it');
  if (m.loadCommandsEnd + LINKEDIT_DATA_COMMAND_SIZE > firstSectionOffset(m)) throw new Error('no room for LC_CODE_SIGNATURE after the load commands');

  const dataoff = align(buf.length, 16);
  const ident = Buffer.from(`${identifier}\0`, 'utf8');
  const nCodeSlots = Math.ceil(dataoff / PAGE_SIZE);
  const nSpecialSlots = CSSLOT.requirements;
  const hashOffset = CD_HEADER_SIZE + ident.length + nSpecialSlots * HASH_SIZE;
  const cdSize = hashOffset + nCodeSlots * HASH_SIZE;
  const requirements = emptyRequirements();
  const wrapper = emptySignatureWrapper();
  const blobs = [
    [CSSLOT.codeDirectory, cdSize],
    [CSSLOT.requirements, requirements.length],
    [CSSLOT.signature, wrapper.length],
  ];
  const superHeader = 12 + blobs.length * 8;
  const datasize = superHeader + blobs.reduce((n, [, len]) => n + len, 0);

  const out = Buffer.alloc(dataoff + datasize);
  buf.copy(out, 0);
  // The load command, then the header and __LINKEDIT that now cover it: all inside page 0..n, so
  // they must be final before any page is hashed.
  const lc = m.loadCommandsEnd;
  out.writeUInt32LE(LC_CODE_SIGNATURE, lc);
  out.writeUInt32LE(LINKEDIT_DATA_COMMAND_SIZE, lc + 4);
  out.writeUInt32LE(dataoff, lc + 8);
  out.writeUInt32LE(datasize, lc + 12);
  out.writeUInt32LE(m.header.ncmds + 1, 16);
  out.writeUInt32LE(m.header.sizeofcmds + LINKEDIT_DATA_COMMAND_SIZE, 20);
  const filesize = dataoff + datasize - linkedit.fileoff;
  out.writeBigUInt64LE(BigInt(filesize), linkedit.cmdOffset + 48);
  out.writeBigUInt64LE(BigInt(Math.max(linkedit.vmsize, align(filesize, VM_PAGE))), linkedit.cmdOffset + 32);

  const cd = Buffer.alloc(cdSize);
  cd.writeUInt32BE(CSMAGIC.codeDirectory, 0);
  cd.writeUInt32BE(cdSize, 4);
  cd.writeUInt32BE(CD_VERSION, 8);
  cd.writeUInt32BE(CS_ADHOC, 12);
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(CD_HEADER_SIZE, 20); // identOffset
  cd.writeUInt32BE(nSpecialSlots, 24);
  cd.writeUInt32BE(nCodeSlots, 28);
  cd.writeUInt32BE(dataoff, 32); // codeLimit
  cd.writeUInt8(HASH_SIZE, 36);
  cd.writeUInt8(CS_HASHTYPE_SHA256, 37);
  cd.writeUInt8(0, 38); // platform
  cd.writeUInt8(Math.log2(PAGE_SIZE), 39);
  // spare2, scatterOffset, teamOffset, spare3 and codeLimit64 stay 0.
  cd.writeBigUInt64BE(BigInt(text.fileoff), 64); // execSegBase
  cd.writeBigUInt64BE(BigInt(text.filesize), 72); // execSegLimit
  cd.writeBigUInt64BE(BigInt(CS_EXECSEG_MAIN_BINARY), 80);
  ident.copy(cd, CD_HEADER_SIZE);
  // Special slots are stored backwards before hashOffset: slot -2 (requirements), slot -1 (Info.plist, none).
  sha256(requirements).copy(cd, hashOffset - CSSLOT.requirements * HASH_SIZE);
  for (let i = 0; i < nCodeSlots; i++) {
    const page = out.subarray(i * PAGE_SIZE, Math.min((i + 1) * PAGE_SIZE, dataoff));
    sha256(page).copy(cd, hashOffset + i * HASH_SIZE);
  }

  let at = dataoff;
  out.writeUInt32BE(CSMAGIC.embeddedSignature, at);
  out.writeUInt32BE(datasize, at + 4);
  out.writeUInt32BE(blobs.length, at + 8);
  let blobOff = superHeader;
  blobs.forEach(([type, len], i) => {
    out.writeUInt32BE(type, at + 12 + i * 8);
    out.writeUInt32BE(blobOff, at + 16 + i * 8);
    blobOff += len;
  });
  at += superHeader;
  for (const blob of [cd, requirements, wrapper]) {
    blob.copy(out, at);
    at += blob.length;
  }
  return out;
}

/** Remove LC_CODE_SIGNATURE and the signature data it points to (which must end the file). */
export function stripSignature(input) {
  const m = parseMachO(input);
  const cs = m.codeSignature;
  if (!cs) return input;
  const linkedit = m.segments.find((s) => s.name === '__LINKEDIT');
  if (!linkedit || cs.dataoff + cs.datasize !== input.length) throw new Error('the code signature is not at the end of the file');
  if (cs.cmdOffset + LINKEDIT_DATA_COMMAND_SIZE !== m.loadCommandsEnd) throw new Error('LC_CODE_SIGNATURE is not the last load command');
  const out = Buffer.from(input.subarray(0, cs.dataoff));
  out.fill(0, cs.cmdOffset, cs.cmdOffset + LINKEDIT_DATA_COMMAND_SIZE);
  out.writeUInt32LE(m.header.ncmds - 1, 16);
  out.writeUInt32LE(m.header.sizeofcmds - LINKEDIT_DATA_COMMAND_SIZE, 20);
  out.writeBigUInt64LE(BigInt(cs.dataoff - linkedit.fileoff), linkedit.cmdOffset + 48);
  return out;
}

/**
 * Check a file's signature the way the kernel checks pages: every CodeDirectory (SHA-256 ones)
 * must hash the file's pages up to its codeLimit exactly, and the requirements slot must match
 * the requirements blob. Returns what was found; throws naming the first mismatch.
 */
export function verifySignature(buf) {
  const m = parseMachO(buf);
  const cs = m.codeSignature;
  if (!cs) throw new Error('no LC_CODE_SIGNATURE');
  const linkedit = m.segments.find((s) => s.name === '__LINKEDIT');
  if (!linkedit || cs.dataoff < linkedit.fileoff || cs.dataoff + cs.datasize > linkedit.fileoff + linkedit.filesize) throw new Error('the signature is not inside __LINKEDIT');
  const sb = buf.subarray(cs.dataoff, cs.dataoff + cs.datasize);
  if (sb.readUInt32BE(0) !== CSMAGIC.embeddedSignature) throw new Error(`no SuperBlob at the signature offset (magic ${sb.readUInt32BE(0).toString(16)})`);
  const count = sb.readUInt32BE(8);
  const slots = new Map();
  for (let i = 0; i < count; i++) {
    const type = sb.readUInt32BE(12 + i * 8);
    const off = sb.readUInt32BE(16 + i * 8);
    slots.set(type, sb.subarray(off, off + sb.readUInt32BE(off + 4)));
  }
  const cds = [slots.get(CSSLOT.codeDirectory), slots.get(CSSLOT.alternateCodeDirectory)].filter(Boolean);
  if (cds.length === 0) throw new Error('no CodeDirectory');
  const found = [];
  for (const cd of cds) {
    if (cd.readUInt32BE(0) !== CSMAGIC.codeDirectory) throw new Error('bad CodeDirectory magic');
    const info = {
      version: cd.readUInt32BE(8),
      flags: cd.readUInt32BE(12),
      hashOffset: cd.readUInt32BE(16),
      identifier: cstr(cd, cd.readUInt32BE(20), 256),
      nSpecialSlots: cd.readUInt32BE(24),
      nCodeSlots: cd.readUInt32BE(28),
      codeLimit: cd.readUInt32BE(32),
      hashSize: cd.readUInt8(36),
      hashType: cd.readUInt8(37),
      pageSize: 1 << cd.readUInt8(39),
      execSegFlags: cd.readUInt32BE(8) >= 0x20400 ? Number(cd.readBigUInt64BE(80)) : 0,
    };
    if (info.hashType !== CS_HASHTYPE_SHA256) continue;
    if (info.nCodeSlots !== Math.ceil(info.codeLimit / info.pageSize)) throw new Error(`nCodeSlots ${info.nCodeSlots} does not cover codeLimit ${info.codeLimit}`);
    if (info.codeLimit !== cs.dataoff) throw new Error(`codeLimit ${info.codeLimit} is not the signature's offset ${cs.dataoff}`);
    for (let i = 0; i < info.nCodeSlots; i++) {
      const page = buf.subarray(i * info.pageSize, Math.min((i + 1) * info.pageSize, info.codeLimit));
      const want = cd.subarray(info.hashOffset + i * HASH_SIZE, info.hashOffset + (i + 1) * HASH_SIZE);
      if (!sha256(page).equals(want)) throw new Error(`page ${i} (offset ${i * info.pageSize}) does not match its hash`);
    }
    const req = slots.get(CSSLOT.requirements);
    if (req && info.nSpecialSlots >= CSSLOT.requirements) {
      const want = cd.subarray(info.hashOffset - CSSLOT.requirements * HASH_SIZE, info.hashOffset - (CSSLOT.requirements - 1) * HASH_SIZE);
      if (!sha256(req).equals(want)) throw new Error('the requirements blob does not match its hash');
    }
    found.push(info);
  }
  if (found.length === 0) throw new Error('no SHA-256 CodeDirectory');
  return { codeDirectories: found, slots: [...slots.keys()], hasCms: (slots.get(CSSLOT.signature)?.length ?? 0) > 8 };
}

function align(n, a) {
  return Math.ceil(n / a) * a;
}
