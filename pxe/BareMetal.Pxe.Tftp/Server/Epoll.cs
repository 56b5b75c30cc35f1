using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// The few Linux calls <see cref="TransferPoller"/> needs: epoll(7), eventfd(2) to wake it, and recv(2)
/// straight on a transfer's socket. Sockets pass as <see cref="SafeSocketHandle"/>, so the marshaller holds
/// a reference for the length of the call and a transfer closed meanwhile cannot hand its descriptor number
/// to a new socket under our feet.
/// </summary>
internal static partial class Epoll
{
    /// <summary>EPOLLIN: readable. EPOLLERR and EPOLLHUP are reported whether asked for or not.</summary>
    public const uint In = 0x001;

    public const int CtlAdd = 1;
    public const int CtlDel = 2;

    /// <summary>EPOLL_CLOEXEC / EFD_CLOEXEC (O_CLOEXEC): the descriptor is not inherited by child processes.</summary>
    public const int CloseOnExec = 0x80000;

    /// <summary>EFD_NONBLOCK (O_NONBLOCK).</summary>
    public const int NonBlocking = 0x800;

    /// <summary>MSG_TRUNC: recv returns a datagram's real length even when the buffer was shorter.</summary>
    public const int MsgTrunc = 0x20;

    /// <summary>MSG_DONTWAIT: this one call does not block, whatever the socket's mode.</summary>
    public const int MsgDontWait = 0x40;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EConnRefused = 111;

    /// <summary>
    /// struct epoll_event. On x86-64 the kernel declares it packed (12 bytes: the 64-bit data right after
    /// the 32-bit mask); other architectures align it to 16, which is why the poller runs on x86-64 only.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>Whether this process can use these calls as declared here.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Create(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Control(int epfd, int op, SafeSocketHandle fd, ref Event e);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Control(int epfd, int op, int fd, ref Event e);

    /// <summary>Fills events from <paramref name="first"/> on (an array's element 0, pinned for the call).</summary>
    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Wait(int epfd, ref Event first, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial nint Write(int fd, ref ulong value, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial nint Receive(SafeSocketHandle fd, ref byte buffer, nuint length, int flags);
}
