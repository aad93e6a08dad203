using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Centime.Client;

namespace Centime.Node.Api;

/// <summary>
/// The one rule for text fields of a request body (docs/api.md): a field the API carries as a string — every amount,
/// id, memo, address, name — is a JSON string, on every route. A JSON number there is 400 <c>invalid_field</c>
/// naming the field, never read: JSON numbers cannot hold 128-bit amounts, and most clients round them above 2^53
/// before they are sent, so accepting them would let a rounded amount move. (The transfer batch parser, which reads
/// bytes itself, applies the same rule.) Integers the API declares as numbers (<c>deadlineSeconds</c>, pool ids,
/// <c>decimals</c>) stay numbers; the non-amount uint256 fields of signed messages (<c>nonce</c>, <c>deadline</c>,
/// <c>validAfter</c>, <c>validBefore</c>, <c>chainId</c>) keep accepting either, as EIP-712 libraries write both.
/// Applied as a type-info modifier so the field's name is in the problem.
/// </summary>
internal static class JsonStringFields
{
    private static readonly HashSet<string> SignedAmounts = new(StringComparer.Ordinal) { "value", "amount" };

    public static void Modify(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            // A converter the model chose (UintTextConverter on signed-message integers) stays, except on amounts.
            if (property.CustomConverter is not null && !(property.CustomConverter is UintTextConverter && SignedAmounts.Contains(property.Name)))
            {
                continue;
            }

            if (property.PropertyType == typeof(string))
            {
                property.CustomConverter = new Text(property.Name);
            }
            else if (property.PropertyType == typeof(IReadOnlyList<string>))
            {
                property.CustomConverter = new TextList(property.Name);
            }
        }
    }

    private static ProblemException NotAString(string field, JsonTokenType token) =>
        new(400, ProblemCodes.InvalidField, "Invalid field", token == JsonTokenType.Number
            ? $"'{field}' must be a JSON string (amounts and ids are decimal or 0x-hex text: a JSON number loses precision above 2^53 in most clients)"
            : $"'{field}' must be a JSON string, not {token}");

    private sealed class Text(string field) : JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw NotAString(field, reader.TokenType);

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private sealed class TextList(string field) : JsonConverter<IReadOnlyList<string>>
    {
        public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{field}' must be a JSON array of strings");
            }

            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                list.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw NotAString(field + "[]", reader.TokenType));
            }

            return list;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var item in value)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }
    }
}
