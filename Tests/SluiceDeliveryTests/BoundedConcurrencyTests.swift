import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import SluiceDelivery

/// How an integration's requests run side by side: `concurrentlyMap`'s lanes, and the event loops they prefer.
@Suite struct BoundedConcurrencyTests {
    @Test(arguments: [(0, 4), (1, 4), (7, 3), (50, 8), (5, 0)])
    func everyItemRunsOnceAndTheResultsKeepTheItemsOrder(count: Int, limit: Int) async {
        let runs = Mutex<[Int: Int]>([:])
        let results = await concurrentlyMap(Array(0..<count), limit: limit) { item in
            if item % 3 == 0 { await Task.yield() }
            runs.withLock { $0[item, default: 0] += 1 }
            return item * 10
        }
        #expect(results == (0..<count).map { $0 * 10 })
        #expect(runs.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, 1) }))
    }

    @Test func noMoreThanTheLimitRunAtOnceAndTheLimitIsReached() async {
        let state = Mutex((running: 0, most: 0))
        _ = await concurrentlyMap(Array(0..<40), limit: 4) { _ in
            state.withLock {
                $0.running += 1
                $0.most = max($0.most, $0.running)
            }
            try? await Task.sleep(for: .milliseconds(2))
            state.withLock { $0.running -= 1 }
        }
        #expect(state.withLock { $0.most } == 4)
    }

    @Test func eachLaneRunsOnTheEventLoopItPrefers() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let executors: [any TaskExecutor] = loops.map { EventLoopTaskExecutor(loop: $0) }
        let started = Mutex(0)
        // Two items, two lanes: each item waits until both have started, so each lane takes exactly one.
        let seen = await concurrentlyMap([0, 1], limit: 2, on: executors) { _ -> [ObjectIdentifier?] in
            let before = MultiThreadedEventLoopGroup.currentEventLoop.map(ObjectIdentifier.init)
            started.withLock { $0 += 1 }
            let deadline = ContinuousClock.now + .seconds(10)
            while started.withLock({ $0 }) < 2, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
            // After a suspension the lane is back on its loop.
            return [before, MultiThreadedEventLoopGroup.currentEventLoop.map(ObjectIdentifier.init)]
        }
        try await group.shutdownGracefully()
        let ids = loops.map { ObjectIdentifier($0) }
        #expect(Set(seen.map { $0[0] }) == Set(ids))
        #expect(seen.allSatisfy { $0[0] == $0[1] })
    }

    @Test func withoutExecutorsTheLanesRunOffTheEventLoops() async {
        let seen = await concurrentlyMap([0, 1, 2], limit: 2) { _ in MultiThreadedEventLoopGroup.currentEventLoop == nil }
        #expect(seen == [true, true, true])
    }
}
