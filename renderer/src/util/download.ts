/** Bytes given as base64 (what `exportRun` returns). */
export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Hand a file to the browser as a download (an object URL on a temporary link). */
export function saveFile(file: { name: string; mime: string; bytesBase64: string }, doc: Document = document): void {
  const bytes = base64ToBytes(file.bytesBase64);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: file.mime }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
