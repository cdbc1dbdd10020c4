# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. Variables and initializers
#
# A `Variable` is state that persists across `run` calls: model weights. The graph holds its *definition*
# (name, shape, initializer); its *value* lives in each session, so two sessions on one graph do not share it.

# %%
import flowgraph as tf

counter = tf.Variable(0, name="counter")
weights = tf.Variable(tf.random_normal([2, 2], seed=1), name="weights")
print(counter, weights, sep="\n")
print("ops created for 'counter':", [op.name for op in tf.get_default_graph().get_operations()
                                     if op.name.startswith("counter")])

# %% [markdown]
# A variable must be initialized in a session before it is read; `global_variables_initializer()` is one op
# that runs every initializer.

# %%
with tf.Session() as sess:
    try:
        sess.run(counter)
    except tf.errors.FailedPreconditionError as error:
        print("FailedPreconditionError:", str(error).splitlines()[0])
    sess.run(tf.global_variables_initializer())
    print("after init:", sess.run(counter))

# %% [markdown]
# ## Changing a variable: `assign`, `assign_add`, `assign_sub`
# These are ops too: each run of them changes the value stored in that session.

# %%
increment = counter.assign_add(1)
reset = counter.assign(100)
decrement = tf.assign_sub(counter, 7)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(3):
        sess.run(increment)
    print("after three increments:", sess.run(counter))
    print("reset then decrement:", sess.run(reset), sess.run(decrement))

# %% [markdown]
# ## Two sessions, two values

# %%
first, second = tf.Session(), tf.Session()
first.run(counter.initializer)
second.run(counter.initializer)
first.run(increment)
print("first session:", first.run(counter), "second session:", second.run(counter))
first.close()
second.close()
