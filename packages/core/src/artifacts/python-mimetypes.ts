// Python's `mimetypes` as MLflow's cloud repositories use it to type uploads (boto3 and
// google-cloud-storage both call `mimetypes.guess_type` on the local file name): the built-in
// table, then the machine's mime.types files, Python 3.11's lookup rules.
import { readFileSync } from 'node:fs';

// Python 3.11's built-in `mimetypes` table (strict), as `type=ext,ext` groups; generated from
// `mimetypes.MimeTypes(filenames=()).types_map[True]` in MLflow's venv.
const BUILT_IN =
  'application/javascript=js,mjs application/json=json application/manifest+json=webmanifest application/msword=doc,dot,wiz ' +
  'application/n-quads=nq application/n-triples=nt application/octet-stream=a,bin,dll,exe,o,obj,so application/oda=oda ' +
  'application/pdf=pdf application/pkcs7-mime=p7c application/postscript=ai,eps,ps application/trig=trig ' +
  'application/vnd.apple.mpegurl=m3u,m3u8 application/vnd.ms-excel=xlb,xls application/vnd.ms-powerpoint=pot,ppa,pps,ppt,pwz ' +
  'application/wasm=wasm application/x-bcpio=bcpio application/x-cpio=cpio application/x-csh=csh application/x-dvi=dvi ' +
  'application/x-gtar=gtar application/x-hdf=hdf application/x-hdf5=h5 application/x-latex=latex application/x-mif=mif ' +
  'application/x-netcdf=cdf,nc application/x-pkcs12=p12,pfx application/x-pn-realaudio=ram application/x-python-code=pyc,pyo ' +
  'application/x-sh=sh application/x-shar=shar application/x-shockwave-flash=swf application/x-sv4cpio=sv4cpio ' +
  'application/x-sv4crc=sv4crc application/x-tar=tar application/x-tcl=tcl application/x-tex=tex application/x-texinfo=texi,texinfo ' +
  'application/x-troff=roff,t,tr application/x-troff-man=man application/x-troff-me=me application/x-troff-ms=ms ' +
  'application/x-ustar=ustar application/x-wais-source=src application/xml=rdf,wsdl,xpdl,xsl application/zip=zip ' +
  'audio/3gpp=3gp,3gpp audio/3gpp2=3g2,3gpp2 audio/aac=aac,adts,ass,loas audio/basic=au,snd audio/mpeg=mp2,mp3 audio/opus=opus ' +
  'audio/x-aiff=aif,aifc,aiff audio/x-pn-realaudio=ra audio/x-wav=wav image/avif=avif image/bmp=bmp image/gif=gif image/heic=heic ' +
  'image/heif=heif image/ief=ief image/jpeg=jpe,jpeg,jpg image/png=png image/svg+xml=svg image/tiff=tif,tiff ' +
  'image/vnd.microsoft.icon=ico image/x-cmu-raster=ras image/x-portable-anymap=pnm image/x-portable-bitmap=pbm ' +
  'image/x-portable-graymap=pgm image/x-portable-pixmap=ppm image/x-rgb=rgb image/x-xbitmap=xbm image/x-xpixmap=xpm ' +
  'image/x-xwindowdump=xwd message/rfc822=eml,mht,mhtml,nws text/css=css text/csv=csv text/html=htm,html text/n3=n3 ' +
  'text/plain=bat,c,h,ksh,pl,srt,txt text/richtext=rtx text/tab-separated-values=tsv text/vtt=vtt text/x-python=py ' +
  'text/x-setext=etx text/x-sgml=sgm,sgml text/x-vcard=vcf text/xml=xml video/mp4=mp4 video/mpeg=m1v,mpa,mpe,mpeg,mpg ' +
  'video/quicktime=mov,qt video/webm=webm video/x-msvideo=avi video/x-sgi-movie=movie';

/** The files Python's `mimetypes.init()` reads over its table, in order (a later entry wins). */
export const PYTHON_MIME_FILES: readonly string[] = [
  '/etc/mime.types',
  '/etc/httpd/mime.types',
  '/etc/httpd/conf/mime.types',
  '/etc/apache/mime.types',
  '/etc/apache2/mime.types',
  '/usr/local/etc/httpd/conf/mime.types',
  '/usr/local/lib/netscape/mime.types',
  '/usr/local/etc/mime.types',
];

const SUFFIX_MAP: Record<string, string | undefined> = { '.svgz': '.svg.gz', '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz' };
const ENCODINGS: Record<string, string | undefined> = { '.gz': 'gzip', '.Z': 'compress', '.bz2': 'bzip2', '.xz': 'xz', '.br': 'br' };

/** Builds an extension → type table: the built-in one, then each readable mime.types file over it. */
export function buildMimeTable(files: readonly string[] = PYTHON_MIME_FILES): Map<string, string> {
  const table = new Map<string, string>();
  for (const group of BUILT_IN.split(' ')) {
    const [type, exts] = group.split('=') as [string, string];
    for (const ext of exts.split(',')) table.set(`.${ext}`, type);
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    // Python's MimeTypes.readfp: words up to the first one starting with `#`; the first is the type.
    for (const line of text.split('\n')) {
      const words = line.split(/\s+/).filter(Boolean);
      const hash = words.findIndex((w) => w.startsWith('#'));
      const kept = hash < 0 ? words : words.slice(0, hash);
      const [type, ...suffixes] = kept;
      if (type) for (const s of suffixes) table.set(`.${s}`, type);
    }
  }
  return table;
}

let defaultTable: Map<string, string> | undefined;

/** Python's `posixpath.splitext`: the last extension of the last segment; leading dots start none. */
function splitext(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  if (dot <= slash + 1) return [name, ''];
  if (/^\.+$/.test(name.slice(slash + 1, dot + 1))) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * Python 3.11's `mimetypes.guess_type(name)`: `x.tar.gz` → `application/x-tar` + `gzip`, `MLmodel` →
 * neither. `table` overrides the extension table (tests); by default the built-in table plus the
 * machine's mime.types files ({@link PYTHON_MIME_FILES}), read once.
 */
export function guessPythonMimeType(name: string, table?: Map<string, string>): { type?: string; encoding?: string } {
  const types = table ?? (defaultTable ??= buildMimeTable());
  let [base, ext] = splitext(name);
  // Python 3.11 matches suffixes and encodings as written, types as written and then lower-cased.
  for (let alias = SUFFIX_MAP[ext]; alias !== undefined; alias = SUFFIX_MAP[ext]) [base, ext] = splitext(base + alias);
  const encoding = ENCODINGS[ext];
  if (encoding !== undefined) [base, ext] = splitext(base);
  const type = types.get(ext) ?? types.get(ext.toLowerCase());
  return { ...(type !== undefined ? { type } : {}), ...(encoding !== undefined ? { encoding } : {}) };
}
