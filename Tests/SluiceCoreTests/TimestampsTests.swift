import Foundation
import Testing

@testable import SluiceCore

/// ``Timestamps/parseCommonForm(_:)``, the fast reading of `YYYY-MM-DDTHH:MM:SS[.sss]Z`, agrees with Foundation's
/// ISO 8601 parser on every date it takes, and leaves every other form to it.
@Suite struct TimestampsTests {
    static let foundationWithFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let foundationWithout = Date.ISO8601FormatStyle()

    static func foundation(_ text: String) -> Date? {
        (try? foundationWithFraction.parse(text)) ?? (try? foundationWithout.parse(text))
    }

    @Test func agreesWithFoundationOnRandomDates() {
        var rng = SeededRandom(seed: 2026_12_03)
        for n in 0..<20_000 {
            let year = n % 10 == 0 ? Int(rng.next() % 9_999) + 1 : 1_960 + Int(rng.next() % 150)
            let month = Int(rng.next() % 12) + 1
            let day = Int(rng.next() % 31) + 1
            let time = String(format: "%02d:%02d:%02d", Int(rng.next() % 24), Int(rng.next() % 60), Int(rng.next() % 60))
            var text = String(format: "%04d-%02d-%02dT", year, month, day) + time
            if n % 2 == 0 { text += String(format: ".%03d", Int(rng.next() % 1_000)) }
            text += "Z"
            let fast = Timestamps.parseCommonForm(text)
            let reference = Self.foundation(text)
            if let fast {
                #expect(fast == reference, "\(text)")
                #expect(Timestamps.format(fast) == reference.map(Timestamps.format), "\(text)")
            } else {
                // Only dates that do not exist (the 31st of a short month, the 29th of February in a common year) and
                // years before 1600 are left to Foundation.
                #expect(day > 28 || year < 1600, "\(text)")
            }
        }
    }

    @Test func timesReadFromTextAreWrittenBackAsTheyWere() {
        // Foundation's own formatter wrote about a third of these a millisecond early.
        var rng = SeededRandom(seed: 2026_12_04)
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double(rng.next() % 8_000_000_000) - 1_000_000_000)
            let text = String(Self.foundationWithFraction.format(date).dropLast(5)) + String(format: ".%03dZ", Int(rng.next() % 1_000))
            #expect(Timestamps.parse(text).map(Timestamps.format) == text)
        }
    }

    @Test func formatAgreesWithFoundationAwayFromMillisecondEdges() {
        var rng = SeededRandom(seed: 2026_12_05)
        for _ in 0..<20_000 {
            // Whole microseconds at least 2 µs from a millisecond's edge: both truncate to the same millisecond.
            let micros = Int64(rng.next() % 1_000_000)
            guard micros % 1_000 >= 2, micros % 1_000 <= 997 else { continue }
            let seconds = Double(Int64(rng.next() % 9_000_000_000) - 2_000_000_000)
            let date = Date(timeIntervalSince1970: seconds + Double(micros) / 1e6)
            #expect(Timestamps.format(date) == Self.foundationWithFraction.format(date), "\(date.timeIntervalSince1970)")
        }
        // Before 1600 and after 9999 the text is Foundation's.
        for date in [Date(timeIntervalSince1970: -12_000_000_000), Date(timeIntervalSince1970: 300_000_000_000)] {
            #expect(Timestamps.format(date) == Self.foundationWithFraction.format(date))
        }
        #expect(Timestamps.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamps.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func leavesOtherFormsToFoundation() {
        for text in [
            "2026-12-03T10:00:00+01:00", "2026-12-03T10:00:00.123456Z", "2026-12-03T10:00:00.1Z", "2026-12-03 10:00:00Z",
            "2026-12-03t10:00:00z", "2026-13-03T10:00:00Z", "2026-02-29T10:00:00Z", "2026-12-03T24:00:00Z", "0000-01-01T00:00:00Z",
            "1582-10-10T00:00:00Z",
            "2026-12-03T10:00:60Z", "2026-12-03T10:00:0xZ", "２０２６-12-03T10:00:00Z", "2026-12-03",
        ] {
            #expect(Timestamps.parseCommonForm(text) == nil, "\(text)")
        }
        #expect(Timestamps.parse("2026-12-03T10:00:00+01:00") == Timestamps.parse("2026-12-03T09:00:00Z"))
        #expect(Timestamps.parseCommonForm("2024-02-29T23:59:59.999Z") == Self.foundation("2024-02-29T23:59:59.999Z"))
        #expect(Timestamps.parse("2024-02-29T23:59:59Z") == Date(timeIntervalSince1970: 1_709_251_199))
        #expect(Timestamps.parse("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
    }
}
