using FluentAssertions;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProfileStoreTests : IDisposable
{
    private readonly string _dir = ProfileTestData.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Save_load_list_remove_with_secrets_in_A0600_file()
    {
        var store = new ProfileStore(_dir);
        var p = new Ikev2VpnProfile.Builder("vpn.example.com", null).SetName("Office VPN")
            .SetAuthUsernamePassword("alice", "pw-123456", ProfileTestData.Ca).Build();
        store.Save(p);
        store.List().Should().Equal("Office VPN");
        var loaded = store.Load("Office VPN");
        (loaded.Username, loaded.Password).Should().Be(("alice", "pw-123456"));
        loaded.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);

        File.ReadAllText(Path.Combine(_dir, "profiles", "Office VPN.json")).Should().NotContain("pw-123456");
        var secretFile = Path.Combine(_dir, "secrets", "Office VPN.json");
        File.GetUnixFileMode(secretFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.Combine(_dir, "secrets")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.EnumerateFiles(_dir, ".tmp-*", SearchOption.AllDirectories).Should().BeEmpty();

        store.Export("Office VPN", includeSecrets: false).Should().NotContain("pw-123456");
        store.Export("Office VPN", includeSecrets: true).Should().Contain("pw-123456");
        store.Remove("Office VPN").Should().BeTrue();
        store.Remove("Office VPN").Should().BeFalse();
        store.List().Should().BeEmpty();
        File.Exists(secretFile).Should().BeFalse();
    }

    [Fact]
    public void Saving_without_secrets_drops_old_secret_file()
    {
        var store = new ProfileStore(_dir);
        store.Save(new Ikev2VpnProfile.Builder("vpn.example.com", null).SetName("p").SetAuthPsk("k"u8.ToArray()).Build());
        store.Save(new Ikev2VpnProfile.Builder("vpn.example.com", null).SetName("p").SetAuthUsernamePassword("u", null, null).Build());
        File.Exists(Path.Combine(_dir, "secrets", "p.json")).Should().BeFalse();
        store.Load("p").Psk.Should().BeNull();
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData("nul\0")]
    public void Names_cannot_traverse_paths(string name)
    {
        var store = new ProfileStore(_dir);
        var act = () => store.Load(name);
        act.Should().Throw<ProfileStoreException>().WithMessage("invalid profile name*");
        ProfileName.Check(name).Should().NotBeNull();
        ProfileName.Check(ProfileName.Sanitize(name)).Should().BeNull();
    }

    [Fact]
    public void Missing_profile_is_a_typed_error()
    {
        var act = () => new ProfileStore(_dir).Load("nope");
        act.Should().Throw<ProfileStoreException>().WithMessage("no profile named 'nope'");
    }

    [Fact]
    public void Default_root_honours_ikev2_home()
    {
        // Only reads the variable; other tests use explicit roots.
        var old = Environment.GetEnvironmentVariable("IKEV2_HOME");
        try
        {
            Environment.SetEnvironmentVariable("IKEV2_HOME", _dir);
            ProfileStore.DefaultRoot().Should().Be(_dir);
            ProfileStore.DefaultStateDirectory().Should().Be(Path.Combine(_dir, "state"));
        }
        finally { Environment.SetEnvironmentVariable("IKEV2_HOME", old); }
    }
}
