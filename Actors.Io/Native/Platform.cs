using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>The operating system family the native layer was started on.</summary>
internal enum OsFamily
{
    Linux,
    MacOs,
    FreeBsd,
    Other,
}

/// <summary>Facts about the running platform that decide struct layouts and constants.</summary>
internal static class Platform
{
    public static readonly OsFamily Os =
        OperatingSystem.IsLinux() ? OsFamily.Linux
        : OperatingSystem.IsMacOS() ? OsFamily.MacOs
        : OperatingSystem.IsFreeBSD() ? OsFamily.FreeBsd
        : OsFamily.Other;

    public static readonly Architecture Arch = RuntimeInformation.ProcessArchitecture;

    /// <summary>FreeBSD 12 grew <c>struct kevent</c> from 32 to 64 bytes.</summary>
    public static readonly bool FreeBsd12OrLater = Os == OsFamily.FreeBsd && Environment.OSVersion.Version.Major >= 12;

    public static string Describe() => $"{RuntimeInformation.OSDescription} ({Arch})";
}
