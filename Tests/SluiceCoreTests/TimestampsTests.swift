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
