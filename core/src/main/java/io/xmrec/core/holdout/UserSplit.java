package io.xmrec.core.holdout;

import io.xmrec.core.data.Interaction;

import java.util.List;

/** One user's leave-one-out split: training interactions, the validation and the test item. */
public record UserSplit(String user, List<Interaction> train, Interaction validation, Interaction test) {
}
