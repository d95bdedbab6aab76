package io.xmrec.stream;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * A source that behaves exactly as the one it wraps, except that once its split enumerator is closing,
 * results of the enumerator's asynchronous calls are dropped instead of handed to it.
 *
 * <p>Why: when a job is cancelled, Flink closes a source's enumerator before the context that runs its
 * asynchronous calls. The Kafka enumerator closes its admin client first; a periodic topic discovery
 * that is in flight at that moment fails ("Cannot accept new calls when AdminClient is closing"), its
 * handler rethrows, and the coordinator logs the failure with a stack trace at ERROR and asks for a
 * failover of a job that is being cancelled. Nothing is wrong and nothing is lost, but a stop looked
 * like a crash. Results that arrive after the close began belong to an enumerator that no longer
 * exists, so dropping them changes nothing else; failures before the close are handed on as before.
 * State (splits, enumerator checkpoints) is the wrapped source's own, so savepoints stay compatible.
 */
public final class QuietlyClosingSource<T, S extends SourceSplit, C> implements Source<T, S, C>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final Source<T, S, C> delegate;
    private final TypeInformation<T> type;

    public QuietlyClosingSource(Source<T, S, C> delegate, TypeInformation<T> type) {
        this.delegate = delegate;
        this.type = type;
    }

    @Override
    public Boundedness getBoundedness() {
        return delegate.getBoundedness();
    }

    @Override
    public SourceReader<T, S> createReader(SourceReaderContext context) throws Exception {
        return delegate.createReader(context);
    }

    @Override
    public SplitEnumerator<S, C> createEnumerator(SplitEnumeratorContext<S> context) throws Exception {
        ClosingAwareContext<S> c = new ClosingAwareContext<>(context);
        return new Enumerator<>(delegate.createEnumerator(c), c);
    }

    @Override
    public SplitEnumerator<S, C> restoreEnumerator(SplitEnumeratorContext<S> context, C checkpoint) throws Exception {
        ClosingAwareContext<S> c = new ClosingAwareContext<>(context);
        return new Enumerator<>(delegate.restoreEnumerator(c, checkpoint), c);
    }

    @Override
    public SimpleVersionedSerializer<S> getSplitSerializer() {
        return delegate.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<C> getEnumeratorCheckpointSerializer() {
        return delegate.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return type;
    }

    /** The wrapped enumerator; marks its context closing before it closes. */
    private record Enumerator<S extends SourceSplit, C>(SplitEnumerator<S, C> delegate, ClosingAwareContext<S> context)
            implements SplitEnumerator<S, C> {
        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void handleSplitRequest(int subtask, String host) {
            delegate.handleSplitRequest(subtask, host);
        }

        @Override
        public void addSplitsBack(List<S> splits, int subtask) {
            delegate.addSplitsBack(splits, subtask);
        }

        @Override
        public void addReader(int subtask) {
            delegate.addReader(subtask);
        }

        @Override
        public C snapshotState(long checkpointId) throws Exception {
            return delegate.snapshotState(checkpointId);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            delegate.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            delegate.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtask, SourceEvent event) {
            delegate.handleSourceEvent(subtask, event);
        }

        @Override
        public void close() throws IOException {
            context.closing = true;
            delegate.close();
        }
    }

    /** The coordinator's context, passing every call on; async results are dropped once closing. */
    static final class ClosingAwareContext<S extends SourceSplit> implements SplitEnumeratorContext<S> {
        private final SplitEnumeratorContext<S> delegate;
        volatile boolean closing;

        ClosingAwareContext(SplitEnumeratorContext<S> delegate) {
            this.delegate = delegate;
        }

        <R> BiConsumer<R, Throwable> unlessClosing(BiConsumer<R, Throwable> handler) {
            return (result, error) -> {
                if (!closing) {
                    handler.accept(result, error);
                }
            };
        }

        @Override
        public <R> void callAsync(Callable<R> callable, BiConsumer<R, Throwable> handler) {
            delegate.callAsync(callable, unlessClosing(handler));
        }

        @Override
        public <R> void callAsync(Callable<R> callable, BiConsumer<R, Throwable> handler, long initialDelayMs,
                                  long periodMs) {
            delegate.callAsync(callable, unlessClosing(handler), initialDelayMs, periodMs);
        }

        @Override
        public SplitEnumeratorMetricGroup metricGroup() {
            return delegate.metricGroup();
        }

        @Override
        public void sendEventToSourceReader(int subtask, SourceEvent event) {
            delegate.sendEventToSourceReader(subtask, event);
        }

        @Override
        public void sendEventToSourceReader(int subtask, int attempt, SourceEvent event) {
            delegate.sendEventToSourceReader(subtask, attempt, event);
        }

        @Override
        public int currentParallelism() {
            return delegate.currentParallelism();
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            return delegate.registeredReaders();
        }

        @Override
        public Map<Integer, Map<Integer, ReaderInfo>> registeredReadersOfAttempts() {
            return delegate.registeredReadersOfAttempts();
        }

        @Override
        public void assignSplits(SplitsAssignment<S> assignment) {
            delegate.assignSplits(assignment);
        }

        @Override
        public void assignSplit(S split, int subtask) {
            delegate.assignSplit(split, subtask);
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            delegate.signalNoMoreSplits(subtask);
        }

        @Override
        public void runInCoordinatorThread(Runnable runnable) {
            delegate.runInCoordinatorThread(runnable);
        }

        @Override
        public void setIsProcessingBacklog(boolean backlog) {
            delegate.setIsProcessingBacklog(backlog);
        }
    }
}
