namespace Ikev2Client.Tests.Infrastructure;

/// <summary>Files of the source tree (docs, baselines), found from the test binaries by walking up to the solution.</summary>
internal static class RepositoryFiles
{
    /// <summary>The directory holding Ikev2Client.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the repository root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Ikev2Client.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Ikev2Client.sln above {AppContext.BaseDirectory}");
    }
}
