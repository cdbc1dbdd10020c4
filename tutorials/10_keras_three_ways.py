# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 10. Keras-style models, three ways
#
# The same digits classifier as a `Sequential` list of layers, as a functional graph of layers from `Input` to
# outputs, and as a subclassed `Model` with the forward pass in `call`. All three train with `fit`; the last
# one also with a hand-written `GradientTape` loop.

# %%
import numpy as np

import flowgraph.v2 as tf
from _common import steps

keras = tf.keras
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train, x_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0
EPOCHS = steps(20, 3)

# %% [markdown]
# ## Sequential

# %%
sequential = keras.Sequential([
    keras.layers.Dense(128, activation="relu", input_shape=(64,)),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10),
])
sequential.summary()

# %% [markdown]
# ## Functional

# %%
inputs = keras.Input(shape=(64,))
hidden = keras.layers.Dense(128, activation="relu")(inputs)
outputs = keras.layers.Dense(10)(keras.layers.Dropout(0.2)(hidden))
functional = keras.Model(inputs, outputs)

# %% [markdown]
# ## Subclassing

# %%


class DigitsClassifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(128, activation="relu")
        self.dropout = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(10)

    def call(self, x, training=None):
        return self.out(self.dropout(self.hidden(x), training=training))


subclassed = DigitsClassifier()

# %% [markdown]
# ## compile, fit, evaluate

# %%
for name, model in (("Sequential", sequential), ("Functional", functional), ("Subclassing", subclassed)):
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("%-12s held-out accuracy %.4f" % (name, accuracy))

# %% [markdown]
# ## A hand-written training loop
# `fit` is a loop over batches of exactly this step. Writing it by hand gives full control.

# %%
model = DigitsClassifier()
optimizer = keras.optimizers.Adam(0.001)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


x_all, y_all = tf.constant(x_train.astype(np.float32)), tf.constant(y_train)
for epoch in range(EPOCHS):
    for i in range(0, len(x_train), 64):
        loss = train_step(x_all[i:i + 64], y_all[i:i + 64])
predictions = np.argmax(model(x_test.astype(np.float32)).numpy(), axis=1)
print("hand-written loop held-out accuracy %.4f" % np.mean(predictions == y_test))
tf.compat.v1.disable_eager_execution()
