import Foundation
import SluiceCore
import Testing

/// Resource ids: 22 base62 characters, the time they were made and then random ones.
@Suite struct IdentifierTests {
    /// The milliseconds since 1970 that an id's first 7 characters spell.
    static func milliseconds(of id: String) -> UInt64 {
        id.utf8.prefix(7).reduce(0) { $0 * 62 + UInt64(Identifier.alphabet.firstIndex(of: $1)!) }
    }

    @Test(arguments: [0, 1, 61, 62, 1_767_225_600_123, 3_521_614_606_207])
    func theFirstSevenCharactersAreTheMillisecondsSince1970(milliseconds: UInt64) {
        let id = Identifier.make(now: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        #expect(id.utf8.count == 22)
        #expect(id.utf8.allSatisfy { Identifier.alphabet.contains($0) })
        #expect(Self.milliseconds(of: id) == milliseconds)
    }

    @Test func aTimeBefore1970IsTheFirstMillisecond() {
        #expect(Identifier.make(now: Date(timeIntervalSince1970: -5)).hasPrefix("0000000"))
    }

    @Test func idsMadeLaterSortAfterAsBytesAndAsStrings() {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        var previous = Identifier.make(now: start)
        for step in 1...2_000 {
            let id = Identifier.make(now: start.addingTimeInterval(Double(step) * 0.0137))
            #expect(Array(previous.utf8).lexicographicallyPrecedes(id.utf8))
            #expect(previous < id)
            previous = id
        }
    }

    @Test func idsOfOneMillisecondDifferInTheirRandomPart() {
        let now = Date()
        let ids = (0..<1_000).map { _ in Identifier.make(now: now) }
        #expect(Set(ids).count == 1_000)
        #expect(Set(ids.map { $0.prefix(7) }).count == 1)
        // Each of the 15 random places takes many values across the ids (a constant place would take one).
        for place in 7..<22 {
            #expect(Set(ids.map { Array($0.utf8)[place] }).count > 40)
        }
    }

    @Test func theSystemsIdsCarryTheirTime() {
        // Read as `make` reads the clock: to the nearest millisecond.
        func now() -> UInt64 { UInt64((Date().timeIntervalSince1970 * 1000).rounded()) }
        let before = now()
        let id = Identifier.make()
        let after = now()
        #expect((before...after).contains(Self.milliseconds(of: id)))
    }
}
