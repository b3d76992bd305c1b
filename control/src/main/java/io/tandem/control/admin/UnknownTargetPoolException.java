package io.tandem.control.admin;

/**
 * A change named a target pool the load balancer does not have. The admin socket answers HTTP 404.
 */
public final class UnknownTargetPoolException extends RuntimeException
{
    private final String poolName;

    /**
     * @param poolName the name asked for.
     */
    public UnknownTargetPoolException(final String poolName)
    {
        super("the load balancer has no target pool \"" + poolName + "\"");
        this.poolName = poolName;
    }

    /** @return the name asked for. */
    public String poolName()
    {
        return poolName;
    }
}
