using System.Reflection;
using System.Runtime.CompilerServices;
using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.Api;

/// <summary>
/// One name per concept: no two product types (public or internal, top-level, in Ikev2Client.Protocol and ikev2)
/// share a simple name. Two types with one name are either one concept kept twice (merge them) or two concepts
/// with a confusing name (rename one). Nested types are scoped by their outer type (Android's <c>Builder</c>s).
/// </summary>
public sealed class TypeNameTests
{
    internal static IEnumerable<Type> ProductTypes() =>
        new[] { typeof(IkeSession).Assembly, typeof(Ikev2Client.Connection.VpnConnection).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => !t.IsNested && !IsGenerated(t));

    private static bool IsGenerated(Type t) =>
        t.Name.Contains('<') || t.IsDefined(typeof(CompilerGeneratedAttribute), false)
        || t.Namespace is null or "Microsoft.CodeAnalysis" or "System.Runtime.CompilerServices"
        || t.Namespace.StartsWith("System.Text.RegularExpressions", StringComparison.Ordinal);

    private static string SimpleName(Type t) => t.Name.Split('`')[0];

    [Fact]
    public void No_two_product_types_share_a_simple_name()
    {
        var duplicates = ProductTypes()
            .GroupBy(SimpleName)
            .Where(g => g.Count() > 1)
            .ToDictionary(g => g.Key, g => g.Select(t => $"{t.Assembly.GetName().Name}: {t.FullName}").Order().ToList());

        var listed = duplicates.Select(d => $"{d.Key}:\n    {string.Join("\n    ", d.Value)}").ToList();
        Assert.True(listed.Count == 0,
            "One concept, one name: these product types share a simple name; merge them or rename one:\n" + string.Join("\n", listed));
    }

    [Fact]
    public void Product_types_are_found()
    {
        // Guards the filter above: it must see both assemblies' types, internal ones included.
        var names = ProductTypes().Select(t => t.FullName).ToHashSet();
        names.Should().Contain(["Ikev2Client.Protocol.Ike.IkeSession", "Ikev2Client.Protocol.Ike.IkeSa", "Ikev2Client.Connection.VpnConnection"]);
        names.Should().HaveCountGreaterThan(300);
    }
}
