import Foundation
import PostgresNIO
import SluiceCore
import Synchronization
import Testing

@testable import SluicePostgres

/// The PostgreSQL engine's call plumbing, without a database.
@Suite struct PostgresCallTests {
    @Test func aCallIsResumedOnceWhateverComesFirst() async throws {
        let call = CallDeadline.PendingCall<Int>()
        let finished = Counter()
        let value = try await withCheckedThrowingContinuation { continuation in
            call.start(continuation)
            call.onFinish { finished.add() }
            #expect(call.finish(.success(1)))
            // A deadline or an error arriving later changes nothing
            #expect(!call.finish(.success(2)))
            #expect(!call.finish(.failure(StoreError.unavailable("late"))))
        }
        #expect(value == 1)
        #expect(finished.value == 1)
        // An action registered after the end runs at once
        call.onFinish { finished.add() }
        #expect(finished.value == 2)
    }

    @Test func aCallCancelledBeforeItStartsEndsAtOnce() async throws {
        let call = CallDeadline.PendingCall<Int>()
        call.cancel()
        let cancelled = Counter()
        await #expect(throws: CancellationError.self) {
            _ = try await withCheckedThrowingContinuation { continuation in
                call.start(continuation)
                call.onCancel { cancelled.add() }
            }
        }
        #expect(cancelled.value == 1)
    }

    @Test func aCallOverBeforeTheClockTicksGetsNoTimer() async throws {
        let calls = SlowCalls()
        let started = Counter()
        let number = calls.watch { started.add() }
        calls.forget(number)
        try await Task.sleep(for: .milliseconds(1_200))  // past two ticks
        #expect(started.value == 0)
        #expect(calls.count == 0)
    }

    @Test func aCallStillUnderWayAtATickGetsItsTimerOnce() async throws {
        let calls = SlowCalls()
        let started = Counter()
        let first = calls.watch { started.add() }
        let deadline = ContinuousClock.now + .seconds(30)
        while started.value == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(started.value == 1)
        #expect(calls.count == 0)
        // Its number forgotten after its timer started changes nothing
        calls.forget(first)
        // The clock stops at a tick that finds no call, and a call watched after that starts it again
        try await Task.sleep(for: .milliseconds(1_200))
        _ = calls.watch { started.add() }
        while started.value == 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(1_200))  // past two more ticks
        #expect(started.value == 2)
    }

    @Test func aServerThatNeverAnswersIsUnavailable() async throws {
        // A socket that listens and never accepts: the kernel completes each connection, and nothing answers
        // PostgreSQL's start-up message: only the call's deadline ends the wait.
        let listener = try SilentListener()
        defer { listener.close() }
        enum Outcome: Equatable {
            case opened
            case failed(StoreError)
            case other(String)
            case noAnswer
        }
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    let store = try await PostgresStore.open(
                        url: "postgres://sluice:x@127.0.0.1:\(listener.port)/sluice", acquireTimeout: .seconds(1))
                    try? await store.close()
                    return .opened
                } catch let error as StoreError {
                    return .failed(error)
                } catch {
                    return .other("\(error)")
                }
            }
            group.addTask {
                // Far past the 1 s deadline, and short of the minute after which the pool gives up by itself (64 s
                // here with the deadline's timers taken out)
                try? await Task.sleep(for: .seconds(30))
                return .noAnswer
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        #expect(outcome == .failed(.unavailable("The database cannot be reached right now")))
    }

    @Test func aPoolKeepsNoConnectionOpenUnused() throws {
        // With a minimum of connections (20, tried), PostgresNIO 1.33's pool stopped the process on a failed
        // precondition when a call came while fewer were open, after PostgreSQL restarted: an outage became a crash.
        let configuration = try PostgresStore.Location(url: "postgres://u:p@127.0.0.1:5432/db").configuration(schema: nil)
        #expect(configuration.options.minimumConnections == 0)
        #expect(configuration.options.maximumConnections == PostgresStore.connections)
    }

    @Test func onlyAStatementTheServerRefusedLeavesTheConnectionUsable() {
        #expect(PostgresStore.connectionIsUsable(after: StoreError.conflict("mine")))
        #expect(PostgresStore.connectionIsUsable(after: CancellationError()))
    }
}

/// A thread-safe count for callbacks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// A TCP socket on 127.0.0.1 that listens and never accepts.
struct SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard listening else {
            _ = Glibc.close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
