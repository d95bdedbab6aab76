package io.xmrec.stream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class QuietlyClosingSourceTest {

    record Split(String id) implements SourceSplit {
        @Override
        public String splitId() {
            return id;
        }
    }

    /** An enumerator that, like Kafka's, asks for a periodic call and fails its handler on an error. */
    static final class DiscoveringSource implements Source<String, Split, Void> {
        final List<String> handled = new ArrayList<>();
        boolean closed;

        @Override
        public Boundedness getBoundedness() {
            return Boundedness.CONTINUOUS_UNBOUNDED;
        }

        @Override
        public SourceReader<String, Split> createReader(SourceReaderContext c) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SplitEnumerator<Split, Void> createEnumerator(SplitEnumeratorContext<Split> c) {
            return new SplitEnumerator<>() {
                @Override
                public void start() {
                    c.callAsync(() -> "topics", (r, e) -> {
                        handled.add(e == null ? r : "error: " + e.getMessage());
                    }, 0, 10_000);
                }

                @Override
                public void handleSplitRequest(int subtask, String host) {
                }

                @Override
                public void addSplitsBack(List<Split> splits, int subtask) {
                }

                @Override
                public void addReader(int subtask) {
                }

                @Override
                public Void snapshotState(long id) {
                    return null;
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }

        @Override
        public SplitEnumerator<Split, Void> restoreEnumerator(SplitEnumeratorContext<Split> c, Void chk) {
            return createEnumerator(c);
        }

        @Override
        public SimpleVersionedSerializer<Split> getSplitSerializer() {
            return null;
        }

        @Override
        public SimpleVersionedSerializer<Void> getEnumeratorCheckpointSerializer() {
            return null;
        }
    }

    /** A coordinator context that keeps the handlers of async calls, for the test to complete them. */
    @SuppressWarnings("unchecked")
    private static SplitEnumeratorContext<Split> recordingContext(List<BiConsumer<Object, Throwable>> handlers) {
        return (SplitEnumeratorContext<Split>) Proxy.newProxyInstance(QuietlyClosingSourceTest.class.getClassLoader(),
                new Class<?>[]{SplitEnumeratorContext.class}, (proxy, m, args) -> {
                    if (m.getName().equals("callAsync")) {
                        handlers.add((BiConsumer<Object, Throwable>) args[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void asyncResultsReachTheEnumeratorUntilItClosesAndAreDroppedAfter() throws Exception {
        DiscoveringSource inner = new DiscoveringSource();
        var source = new QuietlyClosingSource<>(inner, Types.STRING);
        List<BiConsumer<Object, Throwable>> handlers = new ArrayList<>();
        SplitEnumerator<Split, Void> e = source.createEnumerator(recordingContext(handlers));
        e.start();
        assertEquals(1, handlers.size(), "the periodic call is passed to the coordinator");
        handlers.get(0).accept("topics", null);
        handlers.get(0).accept(null, new IllegalStateException("broker away"));
        assertEquals(List.of("topics", "error: broker away"), inner.handled, "before the close, results and failures pass");
        e.close();
        assertEquals(true, inner.closed);
        handlers.get(0).accept(null, new IllegalStateException("Cannot accept new calls when AdminClient is closing."));
        assertEquals(2, inner.handled.size(), "a discovery that fails because the enumerator closed is dropped");
        assertSame(Types.STRING, source.getProducedType());
        assertEquals(Boundedness.CONTINUOUS_UNBOUNDED, source.getBoundedness());
    }
}
