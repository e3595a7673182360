namespace Actors.Io.Tests.Support;

/// <summary>Where the helper program (Actors.Io.Tests.FdLimitHost) and the dotnet host are, for tests that run a child process.</summary>
internal static class ChildProcesses
{
    /// <summary>The helper's dll: built by the ProjectReference, in the same configuration and framework folder as this assembly.</summary>
    public static string HostDll()
    {
        const string name = "Actors.Io.Tests.FdLimitHost";
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testOutput.Name;
        string configuration = testOutput.Parent!.Name;
        DirectoryInfo repository = testOutput.Parent.Parent!.Parent!.Parent!;
        string dll = Path.Combine(repository.FullName, name, "bin", configuration, framework, name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"The helper program was not built at {dll}; build actors-io.sln.", dll);
    }

    /// <summary>The dotnet executable running this test (testhost runs under it), else the one on PATH.</summary>
    public static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
