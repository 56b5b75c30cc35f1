namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>
/// Fills dest with the image's bytes at offset (zeros past the end). Open passes the file's pread;
/// fuzz tests pass an in-memory image, so the whole header/table validation runs without I/O.
/// </summary>
internal delegate void ReadAt(long offset, Span<byte> dest);
