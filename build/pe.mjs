/**
 * PE32+ (Windows x64) as far as a Node single executable for Windows needs: drop the Authenticode
 * signature of Node's release before the SEA blob is injected (postject moves the resources, and
 * the signature would then point into them: a file Windows reports as having a corrupt signature
 * instead of none), recompute the header checksum, and read a resource back (for the tests).
 */

const DIR_RESOURCE = 2;
const DIR_SECURITY = 4;
/** Resource type of raw data, where postject puts NODE_SEA_BLOB. */
export const RT_RCDATA = 10;
/** COFF machine type of x64. */
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
const PE32_PLUS = 0x20b;

/** Headers, data directories and sections of a PE32+ file. */
export function parsePE(buf) {
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('not a PE file (no MZ header)');
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('not a PE file (no PE signature)');
  const machine = buf.readUInt16LE(pe + 4);
  const nsections = buf.readUInt16LE(pe + 6);
  const optSize = buf.readUInt16LE(pe + 20);
  const characteristics = buf.readUInt16LE(pe + 22);
  const opt = pe + 24;
  const magic = buf.readUInt16LE(opt);
  if (magic !== PE32_PLUS) throw new Error(`not a 64-bit PE file (optional header magic ${magic.toString(16)})`);
  const ndirs = buf.readUInt32LE(opt + 108);
  const dirs = [];
  for (let i = 0; i < ndirs; i++) dirs.push({ offset: opt + 112 + i * 8, rva: buf.readUInt32LE(opt + 112 + i * 8), size: buf.readUInt32LE(opt + 116 + i * 8) });
  const sections = [];
  for (let i = 0; i < nsections; i++) {
    const s = opt + optSize + i * 40;
    sections.push({ name: buf.toString('latin1', s, s + 8).replace(/\0.*$/s, ''), virtualSize: buf.readUInt32LE(s + 8), virtualAddress: buf.readUInt32LE(s + 12), rawSize: buf.readUInt32LE(s + 16), rawOffset: buf.readUInt32LE(s + 20) });
  }
  return { machine, characteristics, subsystem: buf.readUInt16LE(opt + 68), checksumOffset: opt + 64, checksum: buf.readUInt32LE(opt + 64), dirs, sections };
}

/** File offset of a relative virtual address. */
function rvaToOffset(p, rva) {
  const s = p.sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + Math.max(x.virtualSize, x.rawSize));
  if (!s) throw new Error(`RVA ${rva.toString(16)} is in no section`);
  return rva - s.virtualAddress + s.rawOffset;
}

/** Remove the Authenticode signature (the certificate table, which ends the file) and fix the checksum. */
export function stripAuthenticode(input) {
  const p = parsePE(input);
  const sec = p.dirs[DIR_SECURITY];
  if (!sec || sec.size === 0) return input;
  // The security directory holds a file offset, not an RVA.
  if (sec.rva + sec.size !== input.length) throw new Error('the certificate table does not end the file');
  const out = Buffer.from(input.subarray(0, sec.rva));
  out.writeUInt32LE(0, sec.offset);
  out.writeUInt32LE(0, sec.offset + 4);
  return withChecksum(out);
}

/** The file with its optional header's CheckSum recomputed (the algorithm of ImageHlp's CheckSumMappedFile). */
export function withChecksum(input) {
  const p = parsePE(input);
  const out = Buffer.from(input);
  out.writeUInt32LE(0, p.checksumOffset);
  out.writeUInt32LE(peChecksum(out, p.checksumOffset), p.checksumOffset);
  return out;
}

/** Sum of the file's 16-bit words with end-around carry, the checksum field counted as zero, plus the length. */
export function peChecksum(buf, checksumOffset) {
  let sum = 0;
  const words = buf.length >> 1;
  for (let i = 0; i < words; i++) {
    const at = i * 2;
    if (at === checksumOffset || at === checksumOffset + 2) continue;
    sum += buf.readUInt16LE(at);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (buf.length & 1) {
    sum += buf[buf.length - 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + buf.length) >>> 0;
}

/**
 * The bytes of resource `type`/`name` (first language), or undefined. Names are matched as the
 * UTF-16 strings of the resource directory (postject upper-cases them).
 */
export function readResource(buf, type, name) {
  const p = parsePE(buf);
  const res = p.dirs[DIR_RESOURCE];
  if (!res || res.size === 0) return undefined;
  const base = rvaToOffset(p, res.rva);
  const entries = (dirOff) => {
    const named = buf.readUInt16LE(dirOff + 12);
    const ids = buf.readUInt16LE(dirOff + 14);
    const list = [];
    for (let i = 0; i < named + ids; i++) {
      const e = dirOff + 16 + i * 8;
      const nameField = buf.readUInt32LE(e);
      const target = buf.readUInt32LE(e + 4);
      let key;
      if (nameField & 0x80000000) {
        const so = base + (nameField & 0x7fffffff);
        key = buf.toString('utf16le', so + 2, so + 2 + buf.readUInt16LE(so) * 2);
      } else key = nameField;
      list.push({ key, isDir: (target & 0x80000000) !== 0, off: base + (target & 0x7fffffff) });
    }
    return list;
  };
  const t = entries(base).find((e) => e.key === type && e.isDir);
  const n = t && entries(t.off).find((e) => e.key === name && e.isDir);
  const lang = n && entries(n.off)[0];
  if (!lang || lang.isDir) return undefined;
  const dataRva = buf.readUInt32LE(lang.off);
  const size = buf.readUInt32LE(lang.off + 4);
  const at = rvaToOffset(p, dataRva);
  return buf.subarray(at, at + size);
}
