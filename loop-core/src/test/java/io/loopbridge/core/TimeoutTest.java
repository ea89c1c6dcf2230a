package io.loopbridge.core;

import static io.loopbridge.testing.Coroutines.after;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Aio.waitFor and Aio.withTimeout against CPython 3.12+ (3.11 checked with python3 where it agrees). */
@org.junit.jupiter.api.Timeout(value = 20, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
class TimeoutTest {
    @Test
    void waitForCancelsTheInnerWaitsForItsCleanupAndThrowsTimeout() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            Task<String> t = Aio.createTask(() -> {
                try {
                    return Aio.sleep(Duration.ofSeconds(10), "slept");
                } catch (CancellationException e) {
                    Aio.sleep(Duration.ofMillis(20));
                    log.add("cleaned");
                    throw e;
                }
            });
            assertThatThrownBy(() -> Aio.waitFor(t, Duration.ofMillis(10)))
                    .isInstanceOf(TimeoutException.class).hasCauseInstanceOf(CancellationException.class);
            assertThat(log).containsExactly("cleaned");
            assertThat(t.isCancelled()).isTrue();
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
    }

    @Test
    void waitForReturnsTheValueOfAnInnerThatSwallowsTheCancellation() throws Exception {
        String r = Aio.run(() -> Aio.waitFor(() -> {
            try {
                return Aio.sleep(Duration.ofSeconds(10), "slept");
            } catch (CancellationException e) {
                return "swallowed";
            }
        }, Duration.ofMillis(10)));
        assertThat(r).isEqualTo("swallowed");
    }

    @Test
    void waitForInTimeAndWithoutLimit() throws Exception {
        Aio.run(() -> {
            assertThat(Aio.waitFor(after(0, "v"), Duration.ofSeconds(5))).isEqualTo("v");
            assertThat(Aio.waitFor(after(1, "w"), null)).isEqualTo("w");
            IllegalStateException boom = new IllegalStateException("boom");
            assertThatThrownBy(() -> Aio.waitFor(() -> {
                throw boom;
            }, Duration.ofSeconds(5))).isSameAs(boom);
            return null;
        });
    }

    @Test
    void waitForZeroTimeoutCancelsAPendingFutureAndReturnsADoneOne() throws Exception {
        Aio.run(() -> {
            LoopFuture<Integer> f = Aio.getRunningLoop().createFuture();
            assertThatThrownBy(() -> Aio.waitFor(f, Duration.ZERO)).isInstanceOf(TimeoutException.class);
            assertThat(f.isCancelled()).isTrue();
            LoopFuture<Integer> done = Aio.getRunningLoop().createFuture();
            done.setResult(3);
            assertThat(Aio.waitFor(done, Duration.ZERO)).isEqualTo(3);
            return null;
        });
    }

    @Test
    void waitForNeverLosesAnOutsideCancelThatLandsWithCompletion() throws Exception {
        // CPython 3.11 returns 1 here and loses the cancel; 3.12+ (wait_for over timeout()) cancels.
        Aio.run(() -> {
            LoopFuture<Integer> inner = Aio.getRunningLoop().createFuture();
            Task<Integer> t = Aio.createTask(() -> Aio.waitFor(inner, Duration.ofSeconds(10)));
            Aio.sleep(Duration.ZERO);
            inner.setResult(1);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void outsideCancelPropagatesAsCancellationNotTimeout() throws Exception {
        Aio.run(() -> {
            Task<Object> t = Aio.createTask(() -> Aio.withTimeout(Duration.ofSeconds(10), () -> {
                Aio.sleep(Duration.ofSeconds(10));
                return null;
            }));
            Aio.sleep(Duration.ZERO);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(t.isCancelled()).isTrue();

            // The deadline and an outside cancel together: the outside cancel wins (as CPython).
            Task<Object> both = Aio.createTask(() -> Aio.withTimeout(Duration.ZERO, () -> {
                Aio.sleep(Duration.ofSeconds(10));
                return null;
            }));
            Aio.sleep(Duration.ZERO);
            both.cancel();
            assertThatThrownBy(both::await).isInstanceOf(CancellationException.class);
            return null;
        });
    }

    @Test
    void nestedTimeoutsInnerFiresAndOuterBodyGoesOn() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> Aio.withTimeout(Duration.ofSeconds(10), outer -> {
            Timeout[] inner = new Timeout[1];
            try {
                Aio.withTimeout(Duration.ofMillis(10), t -> {
                    inner[0] = t;
                    Aio.sleep(Duration.ofSeconds(10));
                    return null;
                });
            } catch (TimeoutException e) {
                log.add("inner fired " + inner[0].expired() + " outer " + outer.expired());
            }
            Aio.sleep(Duration.ZERO);
            log.add("outer body continues");
            return null;
        }));
        assertThat(log).containsExactly("inner fired true outer false", "outer body continues");
    }

    @Test
    void rescheduleMovesTheDeadlineAndNullMeansNone() throws Exception {
        List<String> log = new ArrayList<>();
        assertThatThrownBy(() -> Aio.run(() -> Aio.withTimeout((Duration) null, t -> {
            log.add("when " + t.when().isPresent());
            t.reschedule(Duration.ofMillis(10));
            log.add("when " + t.when().isPresent());
            try {
                Aio.sleep(Duration.ofSeconds(10));
            } catch (CancellationException e) {
                log.add("body sees cancellation");
                throw e;
            }
            return null;
        }))).isInstanceOf(TimeoutException.class);
        assertThat(log).containsExactly("when false", "when true", "body sees cancellation");

        String r = Aio.run(() -> Aio.withTimeout(Duration.ofMillis(10), t -> {
            t.reschedule(null); // removes the deadline
            Aio.sleep(Duration.ofMillis(30));
            t.rescheduleAt(Aio.getRunningLoop().time() + Duration.ofSeconds(10).toNanos());
            return "no timeout " + t.expired();
        }));
        assertThat(r).isEqualTo("no timeout false");
    }

    @Test
    void cannotRescheduleAfterExpiryOrExit() throws Exception {
        Aio.run(() -> {
            Timeout[] saved = new Timeout[1];
            Aio.withTimeout(Duration.ofSeconds(1), t -> saved[0] = t);
            assertThatThrownBy(() -> saved[0].reschedule(Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("exited");
            try {
                Aio.withTimeout(Duration.ZERO, t -> {
                    saved[0] = t;
                    return Aio.sleep(Duration.ofSeconds(10), null);
                });
            } catch (TimeoutException expected) {
                assertThat(saved[0].expired()).isTrue();
            }
            assertThatThrownBy(() -> saved[0].reschedule(Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("expired");
            return null;
        });
    }

    @Test
    void aBodyThatSwallowsItsTimeoutReturnsItsValueAndTheTaskIsNotLeftCancelled() throws Exception {
        // CPython: __aexit__ without an exception after expiry returns normally and uncancels the task.
        String r = Aio.run(() -> {
            Timeout[] saved = new Timeout[1];
            String v = Aio.withTimeout(Duration.ofMillis(5), t -> {
                saved[0] = t;
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                } catch (CancellationException swallowed) {
                    // refused
                }
                return "value";
            });
            Aio.sleep(Duration.ofMillis(1)); // not cancelled: the timeout withdrew its request
            return v + " " + saved[0].expired() + " " + Aio.currentTask().cancelling();
        });
        assertThat(r).isEqualTo("value true 0");
    }

    @Test
    void outsideAwaitItFailsClearly() {
        assertThatThrownBy(() -> Aio.withTimeout(Duration.ofSeconds(1), () -> 1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Aio.taskGroup(g -> 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void cancellingTheWaitForCallerCancelsTheInnerAndPropagates() throws Exception {
        Aio.run(() -> {
            Task<Object> inner = Aio.createTask(() -> Aio.sleep(Duration.ofSeconds(10), null));
            Task<Object> outer = Aio.createTask(() -> Aio.waitFor(inner, Duration.ofSeconds(5)));
            Aio.sleep(Duration.ZERO);
            outer.cancel();
            assertThatThrownBy(outer::await).isInstanceOf(CancellationException.class);
            assertThat(inner.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void withTimeoutAtUsesLoopTime() throws Exception {
        Aio.run(() -> {
            long deadline = Aio.getRunningLoop().time() + Duration.ofMillis(10).toNanos();
            assertThatThrownBy(() -> Aio.withTimeoutAt(deadline, t -> {
                assertThat(t.when()).hasValue(deadline);
                return Aio.sleep(Duration.ofSeconds(10), null);
            })).isInstanceOf(TimeoutException.class);
            return null;
        });
    }
}
