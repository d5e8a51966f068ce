import { readFileSync } from 'node:fs';

// Python 3.11's built-in `mimetypes` table (`_types_map_default`), as `type=ext,ext` groups.
const DEFAULT_TABLE =
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

/** The files Python's `mimetypes.init()` reads after its table, in order (later entries win). */
export const SYSTEM_MIME_FILES: readonly string[] = [
  '/etc/mime.types',
  '/etc/httpd/mime.types',
  '/etc/httpd/conf/mime.types',
  '/etc/apache/mime.types',
  '/etc/apache2/mime.types',
  '/usr/local/etc/httpd/conf/mime.types',
  '/usr/local/lib/netscape/mime.types',
  '/usr/local/etc/mime.types',
];

const SUFFIXES: Record<string, string> = { '.svgz': '.svg.gz', '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz' };
const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

/** Builds an extension → type table: the built-in one, then each readable `mime.types` file. */
export function buildMimeTable(files: readonly string[] = SYSTEM_MIME_FILES): Map<string, string> {
  const table = new Map<string, string>();
  for (const group of DEFAULT_TABLE.split(' ')) {
    const [type, exts] = group.split('=') as [string, string];
    for (const ext of exts.split(',')) table.set(`.${ext}`, type);
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
      const [type, ...exts] = words;
      if (type) for (const ext of exts) table.set(`.${ext}`, type);
    }
  }
  return table;
}

let systemTable: Map<string, string> | undefined;

function splitext(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  // Python's splitext ignores leading dots: `.bashrc` has no extension.
  if (dot <= 0 || /^\.+$/.test(name.slice(0, dot + 1))) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * The `Content-Type` MLflow's GCS repository uploads with: google-cloud-storage's
 * `mimetypes.guess_type(<local file name>)[0]` (the built-in table plus the system's `mime.types`
 * files, case-sensitive lookup first, `x.tar.gz` → `application/x-tar`), else
 * `application/octet-stream`. `table` overrides the lookup table (tests).
 */
export function gcsContentType(fileName: string, table?: Map<string, string>): string {
  const types = table ?? (systemTable ??= buildMimeTable());
  const name = fileName.slice(fileName.lastIndexOf('/') + 1);
  let [base, ext] = splitext(name);
  const alias = SUFFIXES[ext] ?? SUFFIXES[ext.toLowerCase()];
  if (alias) [base, ext] = splitext(base + alias);
  if (ENCODINGS.has(ext) || ENCODINGS.has(ext.toLowerCase())) [base, ext] = splitext(base);
  return types.get(ext) ?? types.get(ext.toLowerCase()) ?? 'application/octet-stream';
}
