/// Top-level keys of a PyTorch checkpoint dict that only resuming training reads: the
/// `--preset torch-inference` of `brine strip` and the marks of `brine inspect` on PyTorch
/// files. Sources and reasons: docs/strip-rules.md.
public struct TorchTrainingKeyRule: Sendable, Equatable {
    public var keys: [String]
    public var reason: String
    public var source: String

    public static func matching(key: String) -> TorchTrainingKeyRule? {
        builtIn.first { $0.keys.contains(key) }
    }

    public static let builtIn: [TorchTrainingKeyRule] = [
        TorchTrainingKeyRule(
            keys: ["optimizer_state_dict", "optimizer", "optimizers", "optimizer_states", "optim", "optimizer_state"],
            reason: "optimizer state (Adam's exp_avg/exp_avg_sq are twice the weights); only optimizer.load_state_dict reads it, to resume training",
            source: "PyTorch tutorial \"Saving and Loading Models\": the optimizer state_dict is restored only to resume training; inference needs model.load_state_dict + model.eval(). Lightning checkpoint format names it optimizer_states"),
        TorchTrainingKeyRule(
            keys: ["scheduler", "scheduler_state_dict", "lr_scheduler", "lr_schedulers", "lr_scheduler_state_dict"],
            reason: "learning-rate scheduler state; only scheduler.load_state_dict reads it, to resume training",
            source: "torch.optim.lr_scheduler.LRScheduler.state_dict docs (\"used to resume\"); Lightning checkpoint format: lr_schedulers"),
        TorchTrainingKeyRule(
            keys: ["scaler", "grad_scaler", "scaler_state_dict", "amp"],
            reason: "mixed-precision loss-scale state; only GradScaler.load_state_dict reads it, to resume training",
            source: "PyTorch AMP examples, \"Saving/Resuming\": scaler.state_dict() is saved with the optimizer's and loaded to resume"),
    ]
}
