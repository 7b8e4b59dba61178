using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ikev2Client.Platform.Linux;

/// <summary>libc entry points and constants (Linux, LP64 layouts) used by the TUN, netlink and UDP code.</summary>
internal static unsafe class Libc
{
    public const int EINTR = 4, EAGAIN = 11, ENOENT = 2, ESRCH = 3, EEXIST = 17, ENODEV = 19, EINVAL = 22, EBADFD = 77, EIO = 5;
    public const int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int SOL_SOCKET = 1, SO_MARK = 36;
    public const int AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
    public const int SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (56 bytes on LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr (64 bytes on LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, byte* buffer, nuint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, byte* buffer, nuint count);

    [DllImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static extern nint Writev(int fd, IoVec* iov, int count);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(int fd, nuint request, void* arg);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(PollFd* fds, nuint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static extern int Bind(int fd, void* address, uint length);

    [DllImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static extern nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static extern nint Recv(int fd, void* buffer, nuint length, int flags);

    [DllImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static extern int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [DllImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static extern int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [DllImport("libc", EntryPoint = "if_nametoindex", SetLastError = true)]
    public static extern uint IfNameToIndex([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>The errno of the last P/Invoke call.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>A readable text for an errno value.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>Wraps an fd so it is closed exactly once, after every in-flight user released it.</summary>
    public static SafeFileHandle Own(int fd) => new((IntPtr)fd, ownsHandle: true);

    /// <summary>
    /// Waits until one of <paramref name="fds"/> is ready; -1 timeout waits forever. EINTR is retried.
    /// Returns the poll result (0 on timeout).
    /// </summary>
    public static int PollRetry(PollFd* fds, int count, int timeoutMs)
    {
        while (true)
        {
            var r = Poll(fds, (nuint)count, timeoutMs);
            if (r >= 0) return r;
            var errno = Errno;
            if (errno != EINTR) throw new VpnPlatformException($"poll failed: {Describe(errno)}", errno);
        }
    }
}
