using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Infrastructure;
using Xunit;

namespace Ikev2Client.Tests.Api;

/// <summary>
/// The public API of Ikev2Client.Protocol, the reusable IKEv2 library, is a deliberate surface: every public type
/// and member is rendered into a stable text and compared with the committed <c>PublicApi.verified.txt</c>. A change
/// to the surface fails here with the difference, so it is made on purpose and reviewed with the baseline's diff.
/// </summary>
public sealed class PublicApiTests
{
    private const string BaselineName = "PublicApi.verified.txt";
    private const string UpdateVariable = "UPDATE_PUBLIC_API";

    [Fact]
    public void Public_api_matches_the_baseline()
    {
        var actual = PublicApiRenderer.Render(typeof(IkeSession).Assembly);
        var baselinePath = BaselinePath();
        var expected = File.Exists(baselinePath) ? File.ReadAllText(baselinePath).ReplaceLineEndings("\n") : "";
        if (actual == expected) return;

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(baselinePath, actual);
            return;
        }
        var received = Path.Combine(Path.GetDirectoryName(baselinePath)!, "PublicApi.received.txt");
        File.WriteAllText(received, actual);
        Assert.Fail(
            $"The public API of Ikev2Client.Protocol differs from {baselinePath} (- baseline, + now):\n\n" +
            LineDiff.Render(expected.Split('\n'), actual.Split('\n')) +
            $"\n\nThe whole API is in {received}. If the change is intended, update the baseline and commit it:\n" +
            $"  {UpdateVariable}=1 dotnet test Ikev2Client.Tests -c Release --filter \"FullyQualifiedName~PublicApiTests\"");
    }

    [Fact]
    public void Renderer_shows_signatures_nullability_and_defaults()
    {
        // Guards the renderer itself, so a baseline can't silently lose detail.
        var api = PublicApiRenderer.Render(typeof(IkeSession).Assembly);
        Assert.Contains("public sealed class Ikev2Client.Protocol.Ike.IkeSession : System.IDisposable", api);
        Assert.Contains("  public IkeSession(Ikev2Client.Protocol.Ike.IkeSessionOptions options, Ikev2Client.Protocol.IRandomSource? random = null, " +
                        "System.TimeProvider? time = null, Ikev2Client.Protocol.Ike.ISpiAllocator? spiAllocator = null);", api);
        Assert.Contains("  public Ikev2Client.Protocol.Ike.IkeOutput HandleTimer(Ikev2Client.Protocol.Ike.IkeTimer timer);", api);
        Assert.Contains("public readonly record struct Ikev2Client.Protocol.Ike.TimerCommand : System.IEquatable<Ikev2Client.Protocol.Ike.TimerCommand>", api);
        Assert.Contains("  public System.TimeSpan? Delay { get; init; }", api);
        Assert.Contains("public enum Ikev2Client.Protocol.Esp.EspMode : int", api);
        Assert.Contains("  Transport = 1,", api);
        Assert.DoesNotContain("Ikev2Client.Protocol.Ike.IkeSa ", api);
    }

    private static string BaselinePath() => RepositoryFiles.Path("Ikev2Client.Tests", "Api", BaselineName);
}

/// <summary>Renders an assembly's public and protected surface as C#-like declarations, one per line, in a stable order.</summary>
internal static class PublicApiRenderer
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
    private static readonly NullabilityInfoContext Nullability = new();

    public static string Render(Assembly assembly)
    {
        var sb = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            sb.Append(TypeHeader(type)).Append('\n');
            foreach (var line in Members(type)) sb.Append("  ").Append(line).Append('\n');
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static bool Visible(MethodBase? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);
    private static bool Visible(FieldInfo f) => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly;

    private static string TypeHeader(Type t)
    {
        var name = TypeName(t, fullName: true);
        if (t.IsEnum) return $"public enum {name} : {TypeName(Enum.GetUnderlyingType(t))}";
        if (typeof(Delegate).IsAssignableFrom(t) && t != typeof(Delegate)) return $"public delegate {name}";
        string kind;
        if (t.IsInterface) kind = "interface";
        else if (t.IsValueType)
            kind = (t.IsDefined(typeof(IsReadOnlyAttribute)) ? "readonly " : "") + (IsRecord(t) ? "record struct" : "struct");
        else
            kind = (t.IsAbstract && t.IsSealed ? "static " : t.IsAbstract ? "abstract " : t.IsSealed ? "sealed " : "") + (IsRecord(t) ? "record" : "class");
        var bases = new List<string>();
        if (!t.IsValueType && !t.IsInterface && t.BaseType is { } b && b != typeof(object)) bases.Add(TypeName(b, fullName: true));
        var inherited = t.BaseType?.GetInterfaces() ?? [];
        bases.AddRange(t.GetInterfaces().Except(inherited).Select(i => TypeName(i, fullName: true)).Order(StringComparer.Ordinal));
        return $"public {kind} {name}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static bool IsRecord(Type t) =>
        t.GetMethod("<Clone>$", Declared) is not null
        || (t.IsValueType && t.GetMethod("PrintMembers", Declared) is { } pm && pm.IsDefined(typeof(CompilerGeneratedAttribute)));

    private static IEnumerable<string> Members(Type t)
    {
        if (t.IsEnum)
            return t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .OrderBy(f => Convert.ToDecimal(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)).ThenBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => $"{f.Name} = {f.GetRawConstantValue()},");
        var lines = new List<(int Order, string Name, string Text)>();
        foreach (var f in t.GetFields(Declared).Where(Visible).Where(f => !f.Name.Contains('<')))
            lines.Add((0, f.Name, Field(f)));
        foreach (var c in t.GetConstructors(Declared).Where(Visible))
            lines.Add((1, "", $"{Access(c)} {t.Name.Split('`')[0]}({Parameters(c)});"));
        foreach (var p in t.GetProperties(Declared).Where(p => Visible(p.GetMethod) || Visible(p.SetMethod)))
            lines.Add((2, p.Name, Property(p)));
        foreach (var e in t.GetEvents(Declared).Where(e => Visible(e.AddMethod)))
            lines.Add((3, e.Name, $"{Access(e.AddMethod!)} {Modifiers(e.AddMethod!)}event {TypeName(e.EventHandlerType!, e)} {e.Name};"));
        foreach (var m in t.GetMethods(Declared).Where(Visible).Where(m => !m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)))
        {
            if (m.Name.Contains('<')) continue;
            lines.Add((4, m.Name, Method(m)));
        }
        foreach (var n in t.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Where(n => n.IsNestedPublic || n.IsNestedFamily))
            lines.Add((5, n.Name, $"nested {TypeHeader(n)[7..]} (listed separately)"));
        return lines.OrderBy(l => l.Order).ThenBy(l => l.Name, StringComparer.Ordinal).ThenBy(l => l.Text, StringComparer.Ordinal).Select(l => l.Text);
    }

    private static string Access(MethodBase m) => m.IsPublic ? "public" : "protected";

    private static string Modifiers(MethodBase m)
    {
        if (m.DeclaringType!.IsInterface) return m.IsStatic ? "static " : m.IsAbstract ? "" : "virtual ";
        if (m.IsStatic) return "static ";
        if (m is MethodInfo mi && mi.GetBaseDefinition().DeclaringType != mi.DeclaringType)
            return m.IsFinal ? "sealed override " : "override ";
        if (m.IsAbstract) return "abstract ";
        if (m.IsVirtual && !m.IsFinal) return "virtual ";
        return "";
    }

    private static string Field(FieldInfo f)
    {
        var access = f.IsPublic ? "public" : "protected";
        var type = TypeName(f.FieldType, f);
        if (f.IsLiteral) return $"{access} const {type} {f.Name} = {Literal(f.GetRawConstantValue())};";
        return $"{access} {(f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{type} {f.Name};";
    }

    private static string Property(PropertyInfo p)
    {
        var accessor = Visible(p.GetMethod) ? p.GetMethod! : p.SetMethod!;
        var accessors = new List<string>();
        if (Visible(p.GetMethod)) accessors.Add(AccessorAccess(p.GetMethod!, accessor) + "get;");
        if (Visible(p.SetMethod))
        {
            bool init = p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");
            accessors.Add(AccessorAccess(p.SetMethod, accessor) + (init ? "init;" : "set;"));
        }
        var indexer = p.GetIndexParameters();
        var name = indexer.Length > 0 ? $"this[{string.Join(", ", indexer.Select(Parameter))}]" : p.Name;
        var required = p.IsDefined(typeof(RequiredMemberAttribute)) ? "required " : "";
        return $"{Access(accessor)} {Modifiers(accessor)}{required}{TypeName(p.PropertyType, p)} {name} {{ {string.Join(" ", accessors)} }}";
    }

    private static string AccessorAccess(MethodInfo accessor, MethodInfo property) =>
        accessor.IsPublic == property.IsPublic ? "" : accessor.IsPublic ? "public " : "protected ";

    private static string Method(MethodInfo m)
    {
        var generic = m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";
        var returnType = TypeName(m.ReturnType, m.ReturnParameter);
        var extension = m.IsDefined(typeof(ExtensionAttribute)) ? "this " : "";
        return $"{Access(m)} {Modifiers(m)}{returnType} {m.Name}{generic}({extension}{Parameters(m)});";
    }

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(Parameter));

    private static string Parameter(ParameterInfo p)
    {
        var type = p.ParameterType;
        string prefix = "";
        if (type.IsByRef)
        {
            prefix = p.IsOut ? "out " : p.IsIn ? "in " : "ref ";
            type = type.GetElementType()!;
        }
        if (p.IsDefined(typeof(ParamArrayAttribute))) prefix = "params ";
        var text = $"{prefix}{TypeName(type, p)} {p.Name}";
        if (p.HasDefaultValue) text += " = " + Literal(p.RawDefaultValue, type);
        return text;
    }

    private static string Literal(object? value, Type? type = null) => value switch
    {
        null when type is { IsValueType: true } && Nullable.GetUnderlyingType(type) is null => "default",
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        bool b => b ? "true" : "false",
        char c => $"'{c}'",
        _ when type is { IsEnum: true } => $"{TypeName(type)}.{Enum.ToObject(type, value)}",
        _ when type is not null && Nullable.GetUnderlyingType(type) is { IsEnum: true } u => $"{TypeName(u)}.{Enum.ToObject(u, value)}",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string TypeName(Type t, ParameterInfo p) => TypeName(t, Nullability.Create(p));
    private static string TypeName(Type t, PropertyInfo p) => TypeName(t, Nullability.Create(p));
    private static string TypeName(Type t, FieldInfo f) => TypeName(t, Nullability.Create(f));
    private static string TypeName(Type t, EventInfo e) => TypeName(t, Nullability.Create(e));

    private static string TypeName(Type t, NullabilityInfo? n, bool fullName = true)
    {
        if (t.IsByRef) return TypeName(t.GetElementType()!, n, fullName);
        if (Nullable.GetUnderlyingType(t) is { } underlying)
            return TypeName(underlying, n?.GenericTypeArguments.FirstOrDefault(), fullName) + "?";
        string name;
        if (t.IsArray)
            name = TypeName(t.GetElementType()!, n?.ElementType, fullName) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        else if (t.IsGenericType)
        {
            var args = t.GetGenericArguments();
            var argNames = args.Select((a, i) => TypeName(a, n is { GenericTypeArguments.Length: > 0 } ? n.GenericTypeArguments[i] : null, fullName));
            if (t.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
                return "(" + string.Join(", ", argNames) + ")";
            var baseName = Simple(t, fullName);
            name = baseName[..baseName.IndexOf('`')] + "<" + string.Join(", ", argNames) + ">";
        }
        else name = Simple(t, fullName);
        return n is { ReadState: NullabilityState.Nullable } && !t.IsValueType ? name + "?" : name;
    }

    private static string TypeName(Type t, bool fullName = true) => TypeName(t, null, fullName);

    private static string Simple(Type t, bool fullName)
    {
        if (t.IsGenericParameter) return t.Name;
        var keyword = Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean => "bool", TypeCode.Byte => "byte", TypeCode.SByte => "sbyte", TypeCode.Char => "char",
            TypeCode.Int16 => "short", TypeCode.UInt16 => "ushort", TypeCode.Int32 => "int", TypeCode.UInt32 => "uint",
            TypeCode.Int64 => "long", TypeCode.UInt64 => "ulong", TypeCode.Single => "float", TypeCode.Double => "double",
            TypeCode.Decimal => "decimal", TypeCode.String => "string", _ => null,
        };
        if (t.IsEnum) keyword = null;
        if (keyword != null) return keyword;
        if (t == typeof(object)) return "object";
        if (t == typeof(void)) return "void";
        if (t.IsNested) return Simple(t.DeclaringType!, fullName) + "." + t.Name;
        return fullName && t.Namespace is { } ns ? ns + "." + t.Name : t.Name;
    }
}

/// <summary>A line diff (longest common subsequence) printed as - and + lines with two lines of context.</summary>
internal static class LineDiff
{
    public static string Render(string[] before, string[] after)
    {
        int n = before.Length, m = after.Length;
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = before[i] == after[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var ops = new List<(char Op, string Line)>();
        int a = 0, b = 0;
        while (a < n || b < m)
        {
            if (a < n && b < m && before[a] == after[b]) { ops.Add((' ', before[a])); a++; b++; }
            else if (b < m && (a == n || lcs[a, b + 1] >= lcs[a + 1, b])) ops.Add(('+', after[b++]));
            else ops.Add(('-', before[a++]));
        }
        // Print every changed line with two lines of context; "..." between hunks.
        const int context = 2;
        var show = new bool[ops.Count];
        for (int i = 0; i < ops.Count; i++)
            if (ops[i].Op != ' ')
                for (int k = Math.Max(0, i - context); k <= Math.Min(ops.Count - 1, i + context); k++) show[k] = true;
        var sb = new StringBuilder();
        for (int i = 0; i < ops.Count; i++)
        {
            if (!show[i]) continue;
            if (i > 0 && !show[i - 1] && sb.Length > 0) sb.Append("...\n");
            sb.Append(ops[i].Op == ' ' ? ' ' : ops[i].Op).Append(' ').Append(ops[i].Line).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }
}
