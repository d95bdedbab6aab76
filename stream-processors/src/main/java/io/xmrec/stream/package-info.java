/** The Flink job that keeps rolling leave-one-out holdouts per user with {@code io.xmrec.core.holdout.RollingHoldout}. */
package io.xmrec.stream;
