import Testing

@testable import SluiceCore

@Suite struct JSONWriterTests {
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (12.0, "12"), (-7.0, "-7"), (0.1, "0.1"), (1.5, "1.5"), (1e-7, "1e-7"), (0.000001, "0.000001"),
        (10.0, "10"), (100.0, "100"), (99_999_999.0, "99999999"), (123_456_789.0, "123456789"),
        (-999_999_999_999_999.0, "-999999999999999"), (999_999_999_999_999.0, "999999999999999"), (1_796_295_630_583_000.0, "1796295630583000"),
        (9_007_199_254_740_993.0, "9007199254740992"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e300, "1.5e+300"),
        (123.456, "123.456"), (-0.000_123_4, "-0.0001234"), (0.1 + 0.2, "0.30000000000000004"), (1.25e-7, "1.25e-7"), (-2.5e21, "-2.5e+21"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"), (1e16 + 2, "10000000000000002"),
        (Double.nan, "null"), (Double.infinity, "null"),
    ])
    func numbersAreWrittenAsJSONStringifyWritesThem(_ n: Double, _ expected: String) {
        // A time in microseconds (GA4's timestamp_micros) is above 10^15: it must still be an integer.
        #expect(String(decoding: JSONWriter.encode(.number(n)), as: UTF8.self) == expected)
        #expect(TrackingAPI.encodedSize(.number(n)) == expected.utf8.count)
    }

    @Test func numbersOfEveryMagnitudeAreWrittenInTheShortestFormThatReadsBackInJavaScriptsLayout() {
        var random = SeededRandom(seed: 20_261_206)
        for _ in 0..<5_000 {
            let n = Double(bitPattern: random.next())
            guard n.isFinite else { continue }
            let text = JavaScript.numberToString(n)
            #expect(Double(text) == n, "\(n.description) written \(text)")
            // As many significant digits as Swift's own shortest form, and an exponent only outside [1e-6, 1e21)
            #expect(text.contains("e") == (abs(n) >= 1e21 || (n != 0 && abs(n) < 1e-6)), "\(text)")
            #expect(Self.significantDigits(text) == Self.significantDigits(abs(n).description), "\(n.description) written \(text)")
        }
    }

    /// The digits of a number's text from its first non-zero digit to its last, its exponent left out.
    private static func significantDigits(_ text: String) -> String {
        let digits = text.prefix { $0 != "e" }.filter(\.isNumber)
        return String(digits.drop { $0 == "0" }.reversed().drop { $0 == "0" }.reversed())
    }

    @Test func stringsAreEscapedAsJSONRequiresAndTheRestKeptByteForByte() {
        let text = "plain \"quoted\" back\\slash\nnew\rret\ttab\u{01}\u{1F} é 日本 🙂"
        let written = String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
        #expect(written == #""plain \"quoted\" back\\slash\nnew\rret\ttab\u0001\u001f é 日本 🙂""#)
        #expect(TrackingAPI.encodedSize(.string(text)) == written.utf8.count)
    }

    @Test func aWriterGrowsPastItsCapacity() throws {
        // A writer with room for 4 bytes, given far more
        var w = JSONWriter(capacity: 4)
        let value: JSONValue = .object(["b": .array((0..<500).map { .number(Double($0)) }), "a": .string(String(repeating: "x", count: 3000))])
        w.value(value)
        // Then every byte is there, in order: it reads back as the value, and is as long as the encoding is counted
        #expect(w.bytes.starts(with: Array(#"{"a":"xxx"#.utf8)))
        #expect(w.bytes.count == TrackingAPI.encodedSize(value))
        #expect(try JSONValue.parse(w.bytes) == value)
    }
}
