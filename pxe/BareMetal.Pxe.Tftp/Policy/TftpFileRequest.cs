using System.Net;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>What a provider gets to decide on: the path as the client sent it, and who asks.</summary>
public readonly record struct TftpFileRequest(string Path, IPEndPoint Client, TftpMode Mode);
